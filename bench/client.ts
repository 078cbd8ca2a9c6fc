import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';
import { submission } from './payload.js';
import { serveRpc } from './procs.js';

/**
 * The client side of the benchmark, in its own process on its own core: the load generator
 * (autocannon), a precise latency probe, the local SMTP sink that accepts and discards mail,
 * and the end-to-end driver that plays 3,800 supporters confirming by the link in their mail.
 */

export interface LoadJob {
  url: string;
  method: 'GET' | 'POST';
  connections: number;
  durationS?: number;
  /** Total requests instead of a duration. */
  amount?: number;
  /** Requests per second offered across all connections (open loop), instead of as fast as possible. */
  overallRate?: number;
  /** POST bodies are distinct supporters whose addresses start with this. */
  prefix?: string;
  /** The letter as rendered for a supporter: each POST sends it as its own `body`, with a sentence of its own added. */
  ownWords?: string;
}

export interface LoadResult {
  /** 2xx answers per second over the run. */
  perSecond: number;
  ok: number;
  errors: number;
  durationS: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Share of one core the load generator used: near 1 means it, not the server, may be the limit. */
  clientCpu: number;
}

async function load(job: LoadJob): Promise<LoadResult> {
  let n = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    ...(job.amount ? { amount: job.amount } : { duration: job.durationS ?? 10 }),
    ...(job.overallRate ? { overallRate: job.overallRate } : {}),
    timeout: 30,
    requests: [
      {
        method: job.method,
        headers: { 'content-type': 'application/json' },
        ...(job.method === 'POST' ? { setupRequest: (req) => ({ ...req, body: JSON.stringify(submission(job.prefix!, n++, job.ownWords)) }) } : {}),
      },
    ],
  });
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    perSecond: result['2xx'] / wallS,
    ok: result['2xx'],
    errors: result.errors + result.timeouts + result.non2xx,
    durationS: wallS,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.average,
    clientCpu: (used.user + used.system) / 1e6 / wallS,
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

function send(url: string, method: 'GET' | 'POST', body?: string, via = agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = request(url, { method, agent: via, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Open-loop load at a steady rate: a request is due every 1/rate seconds whatever the answers
 * do, and its latency counts from when it was due (so a stalled server cannot hide its queue).
 * autocannon's overallRate sends each second's whole budget at the start of the second instead.
 */
async function paced(args: { url: string; rate: number; durationS: number; prefix: string }) {
  const via = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(args.rate * args.durationS);
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const start = performance.now() + 10;
  await new Promise<void>((resolve) => {
    let done = 0;
    const finish = () => {
      if (++done === total) resolve();
    };
    const tick = setInterval(() => {
      const now = performance.now();
      while (sent < total && start + (sent * 1000) / args.rate <= now) {
        const due = start + (sent * 1000) / args.rate;
        send(args.url, 'POST', JSON.stringify(submission(args.prefix, sent)), via).then(
          (status) => {
            if (status === 202) latencies.push(performance.now() - due);
            else errors++;
            finish();
          },
          () => {
            errors++;
            finish();
          },
        );
        sent++;
      }
      if (sent === total) clearInterval(tick);
    }, 1);
  });
  via.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { offered: args.rate, ok: latencies.length, errors, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

/**
 * Sequential requests on one kept-alive connection, timed in microseconds (autocannon's
 * histogram counts whole milliseconds). URLs alternate round by round so drift hits all alike.
 */
async function probe(args: { urls: string[]; rounds: number; perRound: number }): Promise<number[]> {
  const samples = args.urls.map(() => [] as number[]);
  for (let round = 0; round < args.rounds; round++) {
    for (const [i, url] of args.urls.entries()) {
      for (let k = 0; k < args.perRound; k++) {
        const t = process.hrtime.bigint();
        const status = await send(url, 'GET');
        if (status !== 200) throw new Error(`probe ${url}: ${status}`);
        samples[i]!.push(Number(process.hrtime.bigint() - t) / 1000);
      }
    }
  }
  return samples.map((s) => median(s));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Mail bodies may be quoted-printable: undo soft line breaks and `=3D` before looking for the link. */
function confirmToken(raw: string): string | undefined {
  const text = raw.replace(/=\r?\n/g, '').replace(/=3D/gi, '=');
  return /\/confirm\/([A-Za-z0-9_-]{16,128})/.exec(text)?.[1];
}

/** A local SMTP server that accepts and discards everything, noting when each message arrived. */
function createSink() {
  let count = 0;
  let firstAt = 0;
  let lastAt = 0;
  let waiter: { count: number; resolve(): void } | undefined;
  let inspect: ((rcpts: string[], raw: string) => void) | undefined;
  let cpu = process.cpuUsage();
  /** What the sink itself cost, in µs of this process's CPU per message: it must not be the limit. */
  const stats = () => {
    const used = process.cpuUsage(cpu);
    return { count, spanMs: lastAt - firstAt, cpuUsPerMessage: (used.user + used.system) / Math.max(1, count) };
  };

  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      if (inspect) stream.on('data', (c: Buffer) => chunks.push(c));
      else stream.resume();
      // Read before answering: smtp-server resets the session's envelope once the message is accepted.
      const rcpts = session.envelope.rcptTo.map((r) => r.address);
      stream.on('end', () => {
        const now = performance.now();
        if (count === 0) firstAt = now;
        lastAt = now;
        count++;
        callback();
        inspect?.(rcpts, Buffer.concat(chunks).toString('utf8'));
        if (waiter && count >= waiter.count) waiter.resolve();
      });
    },
  });

  return {
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port))),
    reset(onMessage?: (rcpts: string[], raw: string) => void) {
      count = 0;
      firstAt = lastAt = 0;
      inspect = onMessage;
      cpu = process.cpuUsage();
    },
    stats,
    /** Resolves once `n` messages have arrived (or after timeoutMs, with what arrived). */
    wait(n: number, timeoutMs: number) {
      return new Promise<ReturnType<typeof stats>>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiter = undefined;
          resolve(stats());
        };
        const timer = setTimeout(done, timeoutMs);
        waiter = { count: n, resolve: done };
        if (count >= n) done();
      });
    },
  };
}

const sink = createSink();

/**
 * The seed campaign end to end: supporters submit, each confirms by the link in the mail the
 * sink receives, and the run ends when the target has received every letter through SMTP.
 */
async function endToEnd(args: { base: string; slug: string; supporters: number; targetEmail: string; connections: number; prefix: string; timeoutMs: number }) {
  let confirmed = 0;
  let confirmErrors = 0;
  let delivered = 0;
  let lastConfirmAt = 0;
  const started = performance.now();
  const finished = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, args.timeoutMs);
    sink.reset((rcpts, raw) => {
      if (rcpts.includes(args.targetEmail)) {
        if (++delivered === args.supporters) {
          clearTimeout(timer);
          resolve();
        }
        return;
      }
      const token = confirmToken(raw);
      if (!token) return;
      send(`${args.base}/api/v1/confirmations/${token}`, 'POST').then(
        (status) => {
          if (status === 200) confirmed++;
          else confirmErrors++;
          lastConfirmAt = performance.now();
        },
        () => confirmErrors++,
      );
    });
  });
  const submitted = await load({
    url: `${args.base}/api/v1/actions/${args.slug}/letters`,
    method: 'POST',
    connections: args.connections,
    amount: args.supporters,
    prefix: args.prefix,
  });
  const submitMs = performance.now() - started;
  await finished;
  const wallMs = performance.now() - started;
  const mail = sink.stats();
  sink.reset();
  return {
    wallMs,
    submitMs,
    lastConfirmMs: lastConfirmAt - started,
    submitted: submitted.ok,
    submitErrors: submitted.errors,
    submitP99Ms: submitted.p99Ms,
    confirmed,
    confirmErrors,
    delivered,
    mails: mail.count,
    sinkCpuUsPerMessage: mail.cpuUsPerMessage,
  };
}

serveRpc({
  load: (job: LoadJob) => load(job),
  probe: (args: { urls: string[]; rounds: number; perRound: number }) => probe(args),
  paced: (args: Parameters<typeof paced>[0]) => paced(args),
  sinkListen: () => sink.listen(),
  sinkReset: () => sink.reset(),
  sinkStats: () => sink.stats(),
  sinkWait: (args: { count: number; timeoutMs: number }) => sink.wait(args.count, args.timeoutMs),
  endToEnd: (args: Parameters<typeof endToEnd>[0]) => endToEnd(args),
});
