import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listeningLine, logLines, type LogLine } from './helpers/json-lines.js';
import { spawnCollecting } from './helpers/spawned.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// The first `npm start` of a fresh checkout compiles the whole project on a shared machine.
const limit = { timeout: 240_000 };
const running = new Set<ChildProcess>();

/** `npm start` (or `npm run worker`) exactly as a person or a process manager runs it, as the leader of its own process group. */
function npm(script: 'start' | 'worker', env: Record<string, string>) {
  return spawnCollecting('npm', ['run', script], { cwd: root, env: { ...process.env, ...env }, detached: true }, running);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start runs the compiled server', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'chorus-prod-'));
  });
  after(() => {
    for (const child of running) process.kill(-child.pid!, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  // A process manager signals either the whole process group (systemd, a terminal's Ctrl-C) or
  // only the process it started (Docker's PID 1): both must end in a graceful exit 0.
  for (const [who, kill] of [
    ['the process group', (child: ChildProcess) => process.kill(-child.pid!, 'SIGTERM')],
    ['npm alone', (child: ChildProcess) => child.kill('SIGTERM')],
  ] as const) {
    it(`builds, serves from dist/ with plain node, and exits 0 on a SIGTERM to ${who}`, limit, async () => {
      const { child, out, exited } = npm('start', {
        DATABASE_PATH: join(dir, `${who.length}.db`),
        PORT: '0',
        HOST: '127.0.0.1',
        DEMO: 'true',
        WORKER: 'inline',
        LOG_LEVEL: 'info',
        MAIL_TRANSPORT: `file:${join(dir, 'outbox')}`,
      });
      const line = await listeningLine(child, out);
      const pid = line.pid!;
      // The server is plain node on the compiled files: no tsx launcher or loader in the process.
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      assert.match(argv[0]!, /(^|\/)node$/, argv.join(' '));
      assert.deepEqual(argv.slice(1), ['--enable-source-maps', 'dist/server.js']);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      assert.ok(!environ.some((v) => v.startsWith('NODE_OPTIONS=') && v.includes('tsx')), 'no tsx through NODE_OPTIONS');

      // Templates, pages and migrations are found from dist/ too.
      assert.equal((await fetch(`${line.url}/readyz`)).status, 200);
      const page = await fetch(String(line.demoCampaign));
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<form/);

      kill(child);
      const { code, signal } = await exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, out.stderr);
      assert.equal(alive(pid), false, 'the server is gone, not orphaned');
      const shutdown = logLines(out.stdout).filter((l) => l.msg === 'shutting down');
      assert.equal(shutdown.length, 1, out.stdout);
      assert.equal(shutdown[0]!.pid, pid);
      assert.deepEqual(npmWarningsAside(out.stderr), []);
    });
  }

  it('npm run worker runs dist/worker.js with plain node and exits 0 on SIGTERM', limit, async () => {
    const { child, out, exited } = npm('worker', { DATABASE_PATH: join(dir, 'worker.db'), LOG_LEVEL: 'info', MAIL_TRANSPORT: `file:${join(dir, 'outbox')}` });
    const started = await new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const line = logLines(out.stdout).find((l) => l.msg === 'delivery worker started');
        if (line) resolve(line);
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`exited (${code}): ${out.stderr}`)));
    });
    const argv = readFileSync(`/proc/${started.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.deepEqual(argv.slice(1), ['--enable-source-maps', 'dist/worker.js']);
    child.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null }, out.stderr);
    assert.equal(alive(started.pid!), false);
    assert.deepEqual(npmWarningsAside(out.stderr), []);
  });
});

/** stderr without npm's own warnings (under `npm test`, npm passes its settings on to the npm it starts). */
const npmWarningsAside = (stderr: string) => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('npm warn'));
