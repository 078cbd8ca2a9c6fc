import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { isUnavailable } from '../store/engine/unavailable.js';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError, problemTitles, type FieldError } from '../errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  /** The request's id, as in its X-Request-Id header and its log lines: what to quote when reporting it. */
  instance?: string;
}

export function problemOf(status: number, detail?: string, errors?: FieldError[], code?: string): Problem {
  return {
    type: code ? `urn:chorus:problem:${code}` : 'about:blank',
    title: problemTitles[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, status: number, detail?: string, errors?: FieldError[], code?: string) {
  const problem = { ...problemOf(status, detail, errors, code), instance: reply.request.id };
  // The body is already a plain, schema-free object: bypass route response schemas.
  return reply.code(status).type('application/problem+json').serializer(JSON.stringify).send(problem);
}

interface ValidationItem {
  instancePath: string;
  message?: string;
  params?: { keys?: string[] };
}

/** Zod issues as `{ path, message }`, one per unknown key so a client sees each field it got wrong. */
function fieldErrors(items: ValidationItem[], context?: string): FieldError[] {
  const prefix = context && context !== 'body' ? `${context}.` : '';
  return items.flatMap((item) => {
    const base = item.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const keys = item.params?.keys;
    if (keys && keys.length > 0) {
      return keys.map((k) => ({ path: prefix + (base ? `${base}.${k}` : k), message: 'is not a recognised field' }));
    }
    return [{ path: prefix + base, message: item.message ?? 'is invalid' }];
  });
}

/**
 * JSON bodies, parsed so that each way of being wrong gets its own status: not JSON at all is
 * a 400; well-formed JSON carrying a key that could reach an object's prototype (`__proto__`,
 * or `constructor.prototype`) is a 422 naming the key. (Fastify's own parser reports both as
 * "invalid JSON".) Such keys are refused wherever they are nested, before any schema runs.
 */
function parseJsonBody(body: string): unknown {
  if (body.trim() === '') throw new DomainError(400, 'malformed-json', 'The body is empty; send a JSON document');
  let poisoned: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body, (key, value: unknown) => {
      if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype'))) {
        poisoned ??= key;
      }
      return value;
    });
  } catch {
    throw new DomainError(400, 'malformed-json', 'The body is not valid JSON');
  }
  if (poisoned) {
    throw new DomainError(422, 'validation', `The body contains a "${poisoned}" key, which is never accepted`, [
      { path: poisoned, message: 'is not allowed' },
    ]);
  }
  return parsed;
}

/** One place turns every error into an RFC 9457 problem document; 5xx say nothing about internals. */
export const problemsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof DomainError) return sendProblem(reply, err.status, err.message, err.errors, err.code);
      if (hasZodFastifySchemaValidationErrors(err)) {
        if (err.validationContext === 'params') return sendProblem(reply, 404, 'No such resource');
        return sendProblem(
          reply,
          422,
          'The request is well-formed but not valid',
          fieldErrors(err.validation as ValidationItem[], err.validationContext),
          'validation',
        );
      }
      // The database gone or refusing writes: a condition that passes, so 503 (with Retry-After) tells clients to come back.
      if (isUnavailable(err)) {
        request.log.error({ err }, 'request failed: the database is unavailable');
        reply.header('retry-after', '5');
        return sendProblem(reply, 503, `The service is briefly unavailable; try again shortly. Request id: ${request.id}`);
      }
      const status = err.statusCode ?? 500;
      if (status >= 500) {
        request.log.error({ err }, 'request failed');
        return sendProblem(reply, status === 503 ? 503 : 500, `Something went wrong on our side. Request id: ${request.id}`);
      }
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return sendProblem(reply, 413, `The body is larger than this endpoint accepts (${request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit} bytes)`);
      }
      if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return sendProblem(reply, 415, 'Send application/json (or a form post where a page expects one)');
      }
      if (status === 429) return sendProblem(reply, 429, 'Too many requests; try again after the time in Retry-After');
      return sendProblem(reply, status, err.message);
    });

    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });

    app.setNotFoundHandler((request, reply) => sendProblem(reply, 404, `No route for ${request.method} ${request.url.split('?')[0]}`));
  },
  { name: 'problems' },
);
