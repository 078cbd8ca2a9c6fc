import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { problemOf, sendProblem } from './problems.js';

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route or error handler is
 * chosen, a path that does not percent-decode (400) or a path parameter longer than the
 * router's maxParamLength (414). The path is never echoed: it may carry a token.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // No hook has run for such a request, the one that sets X-Request-Id included.
  reply.header('x-request-id', request.id);
  const status = err.statusCode ?? 400;
  if (status >= 500) {
    void sendProblem(reply, 500, 'Something went wrong on our side');
    return;
  }
  void sendProblem(reply, status, status === 414 ? 'A part of the path is longer than this service accepts' : 'The path is not a valid URL');
}

/** What Node's HTTP parser says when it gives up on a connection, by its error code. */
function clientErrorStatus(code: string | undefined): 400 | 408 | 431 {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

const clientErrorDetails = {
  400: 'The request could not be read as HTTP',
  408: 'The request did not arrive in time',
  431: 'The request headers are larger than this service accepts',
} as const;

/**
 * Node's `clientError`: a request its HTTP parser could not read (bad syntax, a broken chunked
 * body, headers too large). No route and no reply exist, so the problem document is written on
 * the socket itself, as Fastify's default handler writes its JSON. Logged at debug, without a
 * stack: it is the client's mistake, often a scanner's, and says nothing about this service.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = clientErrorStatus(err.code);
  this.log.debug({ code: err.code }, 'client error');
  if (socket.writable) {
    // No request was read, so no client id either: a fresh one, as every response carries one.
    const id = randomUUID();
    const body = JSON.stringify({ ...problemOf(status, clientErrorDetails[status]), instance: id });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
