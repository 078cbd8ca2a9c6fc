import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { Lookup } from '../domain/webhook-address.js';
import { createServices, type Services } from '../services.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    clock: Clock;
    services: Services;
  }
}

export const servicesPlugin = fp(
  async (app: FastifyInstance, opts: { config: Config; clock: Clock; lookup: Lookup }) => {
    app.decorate('config', opts.config);
    app.decorate('clock', opts.clock);
    app.decorate('services', await createServices({ store: app.store, clock: opts.clock, config: opts.config, lookup: opts.lookup, log: app.log }));
  },
  { name: 'services', dependencies: ['db'] },
);
