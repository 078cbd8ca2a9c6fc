import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { STATUS_CODES } from 'node:http';

type Json = Record<string, unknown>;

/** Response headers a route sets itself, declared per status in its schema's `openapi.headers`. */
const routeHeaders = {
  ETag: { type: 'string', description: 'A weak validator of the body: sent back as If-None-Match, it gets a 304 while nothing changed' },
  'Cache-Control': { type: 'string', description: 'How long the answer may be cached (`no-store` for personal data)' },
  'Content-Disposition': { type: 'string', description: 'attachment, with a file name' },
  'X-Chorus-Print-Run': { type: 'string', description: 'The print run of this PDF: pass it as printRunId to mark exactly its letters mailed' },
  'X-Chorus-Print-Run-Letters': { type: 'integer', description: 'How many letters the PDF holds' },
} as const;

export type RouteHeader = keyof typeof routeHeaders;

/** What a route's schema tells the OpenAPI document beyond its zod schemas; nothing reads it at runtime. */
export interface OperationNotes {
  /** Headers the handler sets, per status (X-Request-Id, Retry-After and WWW-Authenticate are added wherever they apply). */
  headers?: Partial<Record<number, readonly RouteHeader[]>>;
  /** Problems the handler answers that no response schema declares (routes whose success is not JSON). */
  problems?: readonly number[];
}

declare module 'fastify' {
  interface FastifySchema {
    openapi?: OperationNotes;
  }
}

const requestId = { type: 'string', description: 'The id of this request (the client\'s own X-Request-Id when it sent a valid one); problems carry it as `instance`' };
const retryAfter = { type: 'integer', description: 'Seconds to wait before trying again' };
const challenge = { type: 'string', description: 'Bearer realm="chorus"' };

/** What each problem status means on any route that can answer it. */
const problemDescriptions: Record<number, string> = {
  400: 'The body is not JSON (or is empty)',
  401: 'No bearer key, or one that is not valid',
  403: 'The key lacks a scope this needs',
  404: 'No such resource',
  409: 'The resource\'s state does not allow this, or a request with the same Idempotency-Key is still running',
  413: 'The body is larger than this endpoint accepts',
  415: 'The body is not application/json',
  422: 'Well-formed but not valid: `errors` lists each field',
  429: 'Too many requests (or failed authentications) from this client',
  503: 'Overloaded or shutting down',
};

/**
 * The problems a route can answer because of how it is declared, whatever its handler does:
 * any route sheds load (503); a scoped one authenticates (401, 403, and 429 after repeated
 * failures); a body is parsed and validated (400, 413, 415, 422), and so is a query (422); path
 * parameters name a resource (404); a POST takes an Idempotency-Key (422 malformed or reused
 * with another body, 409 while its first request runs). Routes declare the rest themselves.
 */
function impliedProblems(route: RouteOptions, schema: Json): number[] {
  const statuses = [503];
  if (route.config?.scope) statuses.push(401, 403, 429);
  if (schema.body) statuses.push(400, 413, 415, 422);
  if (schema.querystring) statuses.push(422);
  if (schema.params) statuses.push(404);
  if (route.method === 'POST') statuses.push(409, 422);
  return statuses;
}

function problemResponse(status: number): Json {
  return {
    description: problemDescriptions[status] ?? STATUS_CODES[status],
    headers: {
      'X-Request-Id': requestId,
      ...(status === 429 || status === 503 ? { 'Retry-After': retryAfter } : {}),
      ...(status === 401 ? { 'WWW-Authenticate': challenge } : {}),
    },
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/** The body of a non-JSON success, by the media type the route `produces`. */
const producedSchemas: Record<string, Json> = {
  'text/csv': { type: 'string', description: 'CSV with a header row' },
  'application/pdf': { type: 'string', format: 'binary' },
  'text/event-stream': { type: 'string', description: 'Server-sent events' },
};

function successResponse(status: number, body: Json | undefined, produces: readonly string[] | undefined, declared: readonly RouteHeader[] = []): Json {
  const headers = { 'X-Request-Id': requestId, ...Object.fromEntries(declared.map((h) => [h, routeHeaders[h]])) };
  const description = STATUS_CODES[status];
  // A schema of `null` (204, 304) is a response without a body.
  if (body?.type === 'null') return { type: 'null', description, headers };
  const content = body ? { 'application/json': { schema: body } } : Object.fromEntries((produces ?? []).map((type) => [type, { schema: producedSchemas[type] ?? { type: 'string' } }]));
  return { description, headers, content };
}

/**
 * The document's side of a route, added to what the zod schemas give: a summary is the route's
 * own; security from its scope (`security: []` on public routes); every problem it can answer as
 * application/problem+json with X-Request-Id (and Retry-After, WWW-Authenticate where they
 * apply); its success with X-Request-Id and the headers it declares; the body of a CSV, PDF or
 * event stream; Idempotency-Key on POSTs and X-Request-Id on every request.
 */
export const describeOperation: SwaggerTransform = (input) => {
  const out = jsonSchemaTransform(input as Parameters<typeof jsonSchemaTransform>[0]);
  const schema = out.schema as Json;
  if (schema.hide) return out;
  const { route } = input;
  const { openapi: notes = {}, ...rest } = schema as Json & { openapi?: OperationNotes };
  const own = (rest.response ?? {}) as Record<string, Json>;
  const produces = rest.produces as readonly string[] | undefined;

  const responses: Record<string, Json> = {};
  const successes = Object.keys(own).map(Number).filter((s) => s < 400);
  if (successes.length === 0) successes.push(200);
  for (const status of successes) responses[status] = successResponse(status, own[status], produces, notes.headers?.[status]);
  const problems = new Set([...Object.keys(own).map(Number).filter((s) => s >= 400), ...(notes.problems ?? []), ...impliedProblems(route, rest)]);
  for (const status of [...problems].sort((a, b) => a - b)) responses[status] = problemResponse(status);

  const requestHeaders: Json = {
    'X-Request-Id': { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$', description: 'Your own id for this request, echoed back (else a fresh one is made)' },
  };
  if (route.method === 'POST') {
    requestHeaders['Idempotency-Key'] = {
      type: 'string',
      pattern: '^[\\x21-\\x7e]{1,255}$',
      description: 'A retry with the same key and body (within 24 hours) replays the first response instead of running again',
    };
  }
  const ownHeaders = (rest.headers as { properties?: Json } | undefined)?.properties;
  return {
    url: out.url,
    schema: { ...rest, headers: { type: 'object', properties: { ...ownHeaders, ...requestHeaders } }, security: route.config?.scope ? [{ bearer: [] }] : [], response: responses },
  };
};

/** `#/components/schemas/X` references anywhere in `value`. */
function schemaRefs(value: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => schemaRefs(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) found.add(v.slice('#/components/schemas/'.length));
      else schemaRefs(v, found);
    }
  }
  return found;
}

/**
 * The zod provider writes every registered schema twice, as request (`…Input`) and response:
 * only those an operation reaches (directly or through another schema) stay in the document.
 */
export const withUsedSchemasOnly: SwaggerTransformObject = (input) => {
  const doc = jsonSchemaTransformObject(input) as Json & { components?: { schemas?: Record<string, unknown> } };
  const all = doc.components?.schemas ?? {};
  const used = schemaRefs(doc.paths, new Set());
  for (let grew = true; grew; ) {
    const before = used.size;
    for (const name of [...used]) schemaRefs(all[name], used);
    grew = used.size > before;
  }
  const components = { ...doc.components, schemas: Object.fromEntries(Object.entries(all).filter(([name]) => used.has(name))) };
  return { ...doc, components } as ReturnType<SwaggerTransformObject>;
};
