import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The repository root: the service is started from its own sources, exactly as `npm start` does. */
export const root = fileURLToPath(new URL('..', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

/** Server-side processes run on core 0, the load generator and the SMTP sink on core 1. */
export const cores = { server: 0, client: 1 } as const;
export const pinning = cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;

/** `node --import tsx [--import preload…] file`, pinned to a core when taskset exists. */
function nodeCommand(core: number, file: string, nodeArgs: string[] = [], imports: string[] = []): [string, string[]] {
  const node = [process.execPath, ...nodeArgs, '--import', tsxLoader, ...imports.flatMap((i) => ['--import', i]), file];
  return pinning ? ['taskset', ['-c', String(core), ...node]] : [node[0]!, node.slice(1)];
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** Resident memory now and at its peak, in MB (Linux /proc). */
  memory(): { rssMb: number; peakRssMb: number } | null;
  /** CPU time used so far (user + system, all threads), in seconds; NaN where /proc is missing. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Starts a pinned node process whose stdout and stderr go to `logFile` (as a production log would). */
export function startNode(opts: {
  file: string;
  core: number;
  env: Record<string, string>;
  cwd: string;
  logFile: string;
  nodeArgs?: string[];
  /** Modules loaded before `file`, after tsx (so they may be TypeScript). */
  imports?: string[];
  ipc?: boolean;
}): Proc {
  const [cmd, args] = nodeCommand(opts.core, opts.file, opts.nodeArgs, opts.imports);
  const log = openSync(opts.logFile, 'a');
  // Only PATH and HOME from the parent: the measured service sees exactly the env given here.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...opts.env };
  const child = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ['ignore', log, log, ...(opts.ipc ? ['ipc' as const] : [])] });
  closeSync(log);
  return wrap(child);
}

/** /proc/PID/stat after the command name (which may hold spaces): field 3 (state) is [0]; null once the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The pids whose parent is `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => Number(statFields(p)?.[1]) === pid);
}

/**
 * CPU seconds of a process and all its children, live and exited: its own time, what it has
 * reaped (cutime, cstime) and its live children's. For a PostgreSQL postmaster this is the
 * whole server, backends that came and went included.
 */
export function treeCpuSeconds(pid: number): number {
  const own = statFields(pid);
  if (!own) return NaN;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const c of childPids(pid)) {
    const f = statFields(c);
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / clockTicks;
}

function wrap(child: ChildProcess): Proc {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid!,
    memory() {
      const path = `/proc/${child.pid}/status`;
      if (!existsSync(path)) return null;
      const status = readFileSync(path, 'utf8');
      const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
      return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
    },
    cpuSeconds() {
      // utime and stime are the 14th and 15th fields of /proc/PID/stat.
      const fields = statFields(child.pid!);
      return fields ? (Number(fields[11]) + Number(fields[12])) / clockTicks : NaN;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls a URL until it answers 200 (the process is listening and its database is ready). */
export async function waitForHttp(url: string, proc: Proc, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null) throw new Error(`process for ${url} exited with ${proc.child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${url}`);
}

type Message = { id: number; result?: unknown; error?: string };

/** A child process answering `{ id, type, args }` messages with `{ id, result | error }`. */
export interface Rpc extends Proc {
  call<T>(type: string, args?: unknown): Promise<T>;
}

export function startRpc(opts: Parameters<typeof startNode>[0]): Rpc {
  const proc = startNode({ ...opts, ipc: true });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 1;
  proc.child.on('message', (m: Message) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.result);
  });
  proc.child.once('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`${opts.file} exited with ${code}`));
    waiting.clear();
  });
  return {
    ...proc,
    call<T>(type: string, args?: unknown) {
      return new Promise<T>((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.child.send({ id, type, args });
      });
    },
    async stop() {
      proc.child.disconnect();
      await proc.stop();
    },
  };
}

/** The child side of startRpc: one handler per message type. */
export function serveRpc(handlers: Record<string, (args: never) => unknown>): void {
  process.on('message', async (m: { id: number; type: string; args: never }) => {
    try {
      const handler = handlers[m.type];
      if (!handler) throw new Error(`unknown request ${m.type}`);
      process.send!({ id: m.id, result: await handler(m.args) });
    } catch (err) {
      process.send!({ id: m.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * How many cores something else keeps busy (Linux): the figures are only comparable on a quiet
 * machine, so each phase waits up to `waitMs` for quiet and the results record what it found.
 */
export async function backgroundLoad(waitMs = 60_000): Promise<number> {
  if (!existsSync('/proc/stat')) return 0;
  const until = Date.now() + waitMs;
  for (;;) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuTimes();
    const cores = ((b.busy - a.busy) / (b.total - a.total)) * cpus().length;
    if (cores < 0.15 || Date.now() > until) return cores;
  }
}
