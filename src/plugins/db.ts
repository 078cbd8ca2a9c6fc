import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client.js';
import type { Store } from '../store/index.js';
import { openStore } from '../store/open.js';

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
  }
}

/** Opens and migrates the database; closes it last, after everything that uses it has stopped. */
export const dbPlugin = fp(
  async (app: FastifyInstance, opts: { path: string; url?: string; db?: Db }) => {
    const opened = await openStore(opts);
    app.decorate('store', opened.store);
    app.addHook('onClose', async () => {
      await opened.close();
    });
  },
  { name: 'db' },
);
