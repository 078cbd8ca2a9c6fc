import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createInboundSmtp, type InboundSmtp } from '../delivery/inbound-smtp.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The bounce listener (only when INBOUND_SMTP_PORT is set). */
    inboundSmtp?: InboundSmtp;
  }
}

/**
 * The SMTP listener for delivery status notifications: listening once the app is ready, closed
 * before the database (preClose), like the delivery worker.
 */
export const inboundSmtpPlugin = fp(
  async (app: FastifyInstance, opts: { host: string; port: number }) => {
    const inbound = createInboundSmtp({
      ...opts,
      record: (report) => app.services.bounces.record(report),
      log: app.log.child({ component: 'inbound-smtp' }),
    });
    app.decorate('inboundSmtp', inbound);
    app.addHook('onReady', async () => {
      await inbound.start();
      const at = inbound.address();
      if (at) app.log.info({ host: at.host, port: at.port }, 'inbound smtp listening');
    });
    app.addHook('preClose', async () => {
      await inbound.close();
    });
  },
  { name: 'inbound-smtp', dependencies: ['services'] },
);
