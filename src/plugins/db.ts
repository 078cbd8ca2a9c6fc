import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { openDatabase, runMigrations, type Db } from '../db/client.js';
import { createStore, type Store } from '../store/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    store: Store;
  }
}

/** Opens and migrates the database; closes it last, after everything that uses it has stopped. */
export const dbPlugin = fp(
  async (app: FastifyInstance, opts: { path: string; db?: Db }) => {
    const db = opts.db ?? openDatabase(opts.path);
    runMigrations(db);
    app.decorate('db', db);
    app.decorate('store', createStore(db));
    app.addHook('onClose', async () => {
      if (!opts.db) db.$client.close();
    });
  },
  { name: 'db' },
);
