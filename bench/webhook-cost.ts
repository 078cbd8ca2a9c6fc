/**
 * `npx tsx bench/webhook-cost.ts [--letters=N] [--runs=N] [--profile]`: what a subscribed webhook endpoint
 * costs the delivery of letters (issue 12: at most 15% of the delivery throughput without one,
 * in the same run). The service (src/server.ts, WORKER=inline, pinned to the server core) starts
 * on a copy of a database holding N queued letters, as `npm run bench`'s delivery phase does,
 * and delivers them to the bench's SMTP sink (bench/client.ts, on the other core). Each run
 * measures it twice, interleaved: on a copy without any endpoint, and on a copy with one endpoint
 * subscribed to every letter event, pointing at a real HTTP receiver on 127.0.0.1 (in this
 * process) that answers 204. The rate is taken at the sink, first to last message; for the
 * webhook copy the receiver also times how long after the last letter the last letter.sent event
 * arrived. Prints each run's ratio (with / without) and their median. SQLite only. Not a test.
 */
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { newId } from '../src/domain/ids.js';
import { newWebhookSecret } from '../src/domain/webhooks.js';
import { createBenchCampaign, counterDrift, fillLetters, openBenchDb } from './fill.js';
import { backgroundLoad, cores, freePort, pinning, root, startNode, startRpc, waitForHttp } from './procs.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const letters = arg('letters', 10_000);
const runs = arg('runs', 3);
/** Keeps V8 CPU profiles of each service (in the work dir, which is then kept) for bench/profile-summary.ts. */
const profile = args.includes('--profile');
const work = mkdtempSync(join(tmpdir(), 'chorus-bench-webhooks-'));
const log = (msg: string) => console.error(`[webhook-cost ${new Date().toISOString().slice(11, 19)}] ${msg}`);

interface SinkStats {
  count: number;
  spanMs: number;
  cpuUsPerMessage: number;
}
const perSecond = (s: SinkStats) => (s.count > 1 ? ((s.count - 1) * 1000) / s.spanMs : 0);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The receiver: answers every POST 204 and notes when each letter.sent event arrived. */
async function startReceiver() {
  let sent = 0;
  let other = 0;
  let lastSentAt = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (body.includes('"letter.sent"')) {
        sent++;
        lastSentAt = performance.now();
      } else other++;
      res.statusCode = 204;
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/chorus`,
    reset() {
      sent = other = lastSentAt = 0;
    },
    stats: () => ({ sent, other, lastSentAt }),
    async waitForSent(n: number, timeoutMs: number) {
      const until = Date.now() + timeoutMs;
      while (sent < n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      return sent;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function main() {
  log(`work dir ${work}; ${letters} letters, ${runs} runs; pinning ${pinning ? 'on (server core 0, client core 1)' : 'off'}`);
  const client = startRpc({ file: join(root, 'bench/client.ts'), core: cores.client, cwd: work, env: {}, logFile: join(work, 'client.log') });
  const receiver = await startReceiver();
  try {
    const sinkPort = await client.call<number>('sinkListen');
    // Two sources, the same letters: one with no endpoint, one with an endpoint for every letter event.
    const plain = join(work, 'plain.db');
    const b = await openBenchDb(plain);
    await createBenchCampaign(b, 'deliver', 'none');
    await fillLetters(b, 'deliver', letters);
    await b.close();
    const hooked = join(work, 'hooked.db');
    copyFileSync(plain, hooked);
    const h = await openBenchDb(hooked);
    await h.store.webhooks.insertEndpoint({
      id: newId('whk'),
      campaignId: null,
      url: receiver.url,
      events: ['letter.confirmed', 'letter.sent', 'letter.failed', 'letter.bounced'],
      secret: newWebhookSecret(),
      status: 'active',
      disabledAt: null,
      createdAt: new Date().toISOString(),
    });
    await h.close();

    const timeoutMs = Math.max(60_000, letters * 20);
    /** One delivery of the letters from a fresh copy of `source`: the rate at the sink, the service's CPU per letter. */
    async function deliver(name: string, source: string) {
      const path = join(work, `${name}.db`);
      copyFileSync(source, path);
      await client.call('sinkReset');
      receiver.reset();
      const port = await freePort();
      const proc = startNode({
        file: join(root, 'src/server.ts'),
        core: cores.server,
        cwd: work,
        env: {
          NODE_ENV: 'production',
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_PATH: path,
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          DEMO: 'false',
          WORKER: 'inline',
          MAIL_TRANSPORT: `smtp://127.0.0.1:${sinkPort}`,
          WEBHOOK_ALLOW_PRIVATE: 'true',
          RATE_LIMIT_PER_MINUTE: '1000000000',
        },
        logFile: join(work, `${name}.log`),
        nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${join(work, 'profiles', name)}`] : [],
      });
      try {
        await waitForHttp(`http://127.0.0.1:${port}/healthz`, proc);
        const cpu0 = proc.cpuSeconds();
        const first = await client.call<SinkStats>('sinkWait', { count: 1, timeoutMs: 15_000 });
        const got = first.count === 0 ? first : await client.call<SinkStats>('sinkWait', { count: letters, timeoutMs });
        const lettersDoneAt = performance.now();
        const cpuUs = ((proc.cpuSeconds() - cpu0) * 1e6) / Math.max(1, got.count);
        const hooked = name.startsWith('hooked');
        const events = hooked ? await receiver.waitForSent(letters, timeoutMs) : 0;
        const lagMs = hooked && events > 0 ? Math.max(0, receiver.stats().lastSentAt - lettersDoneAt) : 0;
        return { count: got.count, perSecond: perSecond(got), cpuUs, events, lagMs };
      } finally {
        await proc.stop();
        const check = await openBenchDb(path);
        const drift = await counterDrift(check);
        await check.close();
        if (drift !== 0) log(`${name}: counter drift ${drift}`);
      }
    }

    const load = await backgroundLoad(30_000);
    if (load >= 0.15) log(`other processes keep ${load.toFixed(2)} cores busy; figures will be low`);
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let r = 0; r < runs; r++) {
      const without = await deliver(`plain-${r}`, plain);
      const withHook = await deliver(`hooked-${r}`, hooked);
      const ratio = withHook.perSecond / without.perSecond;
      ratios.push(ratio);
      // The service is CPU-bound on its core: on a quiet machine its throughput goes as 1 / CPU per letter.
      cpuRatios.push(without.cpuUs / withHook.cpuUs);
      console.log(
        `run ${r + 1}: without ${without.perSecond.toFixed(0)} letters/s (${without.count}/${letters}, ${without.cpuUs.toFixed(0)} µs CPU/letter); ` +
          `with a webhook ${withHook.perSecond.toFixed(0)} letters/s (${withHook.count}/${letters}, ${withHook.cpuUs.toFixed(0)} µs CPU/letter), ` +
          `${withHook.events}/${letters} letter.sent events received, the last ${(withHook.lagMs / 1000).toFixed(1)} s after the last letter; ` +
          `ratio ${ratio.toFixed(3)} (cost ${((1 - ratio) * 100).toFixed(1)}%); CPU per letter ratio ${cpuRatios.at(-1)!.toFixed(3)}`,
      );
    }
    const m = median(ratios);
    const c = median(cpuRatios);
    console.log(`median ratio ${m.toFixed(3)}: a subscribed webhook costs ${((1 - m) * 100).toFixed(1)}% of the delivery throughput (target: at most 15%) ${m >= 0.85 ? 'PASS' : 'FAIL'}`);
    console.log(`median CPU per letter ratio ${c.toFixed(3)}: ${((1 - c) * 100).toFixed(1)}% more CPU per letter with the webhook (the throughput cost on a quiet machine, where the service is CPU-bound)`);
  } finally {
    await receiver.close();
    await client.stop();
    if (profile) log(`profiles kept in ${join(work, 'profiles')}: npx tsx bench/profile-summary.ts FILE`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
