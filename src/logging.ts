import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/**
 * Rounds of percent-decoding before redacting: `%2565mail` is `email` encoded twice, and a
 * bound keeps a hostile URL from costing more than a few passes.
 */
const decodeRounds = 3;

/** Percent-decoding that never throws: escapes that are not UTF-8 stay as sent, except ASCII ones, which always decode. */
function safeDecode(s: string): string {
  return s.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%[0-7][0-9a-f]/gi, (e) => String.fromCharCode(parseInt(e.slice(1), 16)));
    }
  });
}

/**
 * Token-bearing paths and personal query values never reach the log, however they are spelled:
 * the URL is redacted (and logged) decoded, since `/%63onfirm/…` and `?%65mail=` reach the same
 * routes and parameters as their plain forms.
 */
export function redactUrl(url: string): string {
  let decoded = url;
  for (let i = 0; i < decodeRounds && decoded.includes('%'); i++) decoded = safeDecode(decoded);
  return decoded
    .replace(/\/(confirm|unsubscribe|confirmations)\/[^?#]+/gi, '/$1/[token]')
    .replace(/([?&][^=&#]*(?:email|token)[^=&#]*=)[^&#]*/gi, '$1[redacted]');
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
