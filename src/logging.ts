import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/** Token-bearing paths and personal query values never reach the log. */
export function redactUrl(url: string): string {
  return url
    .replace(/\/(confirm|unsubscribe|confirmations)\/[^/?#]+/g, '/$1/[token]')
    .replace(/([?&](email|token)=)[^&#]*/gi, '$1[redacted]');
}

/**
 * Pino options: no bodies, no client IPs, no auth headers, no tokens. Supporters may be at
 * risk; logs are often shipped to third parties, so they say what happened, never who.
 */
export function loggerOptions(config: Config, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
    ...(stream ? { stream } : {}),
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.email', '*.name', '*.note', '*.token', '*.key'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}
