import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { getHeapStatistics } from 'node:v8';
import { problemOf, type Problem } from './problems.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: answered even under pressure (liveness and metrics must show an overloaded process as alive). */
    shedding?: boolean;
  }
}

/**
 * Mean event-loop delay over one sample (ms) past which new requests are refused. The plugin
 * averages every 10 ms tick of a second, so one long synchronous task barely moves it: only
 * turns that are slow one after another do. At full load (100 connections, 8,000 letters a
 * second) the accept path answers its p99 in 25 ms, so its turns are shorter than that, and a
 * burst of 1,000 submissions at once measured 35 ms on an idle machine (several times that on a
 * busy one): a viral moment is served slowly rather than refused. At a 500 ms mean every request
 * waits ten times the 50 ms latency target before it is even read, and work arrives faster than
 * it drains until clients time out; refusing then keeps the answers that do go out fast.
 */
export const maxEventLoopDelayMs = 500;
/**
 * Share of V8's heap limit past which new requests are refused. Close to the limit V8 runs
 * full collections back to back (each pausing the event loop) shortly before it aborts with
 * "heap out of memory"; refusing new work lets the requests in flight finish and free theirs.
 */
export const maxHeapShare = 0.9;
/** The plugin's sampling period (its default): a pressure episode lasts at least this long. */
export const sampleIntervalMs = 1000;
/** Retry-After of a shed request: a few samples, time for a burst to drain. */
export const retryAfterSeconds = 5;

/** Thresholds a test may lower to force pressure without loading the machine; 0 turns a check off. */
export interface PressureLimits {
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  sampleIntervalMs: number;
}

/**
 * Sheds load with @fastify/under-pressure: past either threshold every request is answered at
 * once with a 503 problem and Retry-After, before any other hook, body or database work, except
 * routes configured `shedding: false`. It is the first onRequest hook after the request id.
 */
export const loadSheddingPlugin = fp(
  async (app: FastifyInstance, opts: Partial<PressureLimits>) => {
    function shed(request: FastifyRequest, reply: FastifyReply): Problem | undefined {
      if (request.routeOptions.config.shedding === false) return undefined; // the request goes on
      reply.code(503).header('retry-after', retryAfterSeconds).type('application/problem+json').serializer(JSON.stringify);
      return { ...problemOf(503, 'The service is overloaded; try again after the time in Retry-After', undefined, 'overloaded'), instance: request.id };
    }
    await app.register(underPressure, {
      maxEventLoopDelay: opts.maxEventLoopDelayMs ?? maxEventLoopDelayMs,
      maxHeapUsedBytes: opts.maxHeapUsedBytes ?? Math.floor(getHeapStatistics().heap_size_limit * maxHeapShare),
      sampleInterval: opts.sampleIntervalMs ?? sampleIntervalMs,
      // The plugin sends what the handler returns (the problem), or lets the request through on
      // undefined; its types say void.
      pressureHandler: shed as FastifyUnderPressureOptions['pressureHandler'],
    });
  },
  { name: 'load-shedding' },
);
