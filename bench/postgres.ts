import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresBinDir, startPgCluster } from '../test/helpers/pg-cluster.js';
import { childPids, cores, pinning, treeCpuSeconds } from './procs.js';

const run = promisify(execFile);

/**
 * The PostgreSQL server of the benchmark's PostgreSQL column: the tests' throwaway cluster
 * (test/helpers/pg-cluster.ts), restarted without its fsync=off so that, like the SQLite
 * service with synchronous=FULL, a commit waits for the disk. Otherwise PostgreSQL 15's default
 * settings, on 127.0.0.1 over TCP. Where the service is pinned to a core, the whole server
 * (postmaster, and so every backend it forks) is pinned to the same core: the service and its
 * database share one core, as the SQLite service does with its in-process database, and the
 * load generator keeps the other.
 */
export interface BenchPostgres {
  /** One line for the report: version and settings. */
  description: string;
  /** A new empty database. */
  create(name: string): Promise<string>;
  /** A new database copied from `from` (CREATE DATABASE … TEMPLATE), the counterpart of copying a SQLite file. */
  copy(from: string, name: string): Promise<string>;
  sizeBytes(name: string): Promise<number>;
  /** Writes out what is dirty, so a finished phase's writes do not land in the next one's measurement. */
  checkpoint(): Promise<void>;
  /** Runs fn (a fill: setup, not measured) with the server free to use every core, then pins it again. */
  unpinned<T>(fn: () => Promise<T>): Promise<T>;
  /** CPU seconds of the whole server so far (postmaster, backends live and exited, background processes). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** The cluster, or why there is none (the PostgreSQL column is then skipped). */
export async function startBenchPostgres(): Promise<BenchPostgres | { skipped: string }> {
  const binDir = postgresBinDir();
  if (!binDir) return { skipped: 'PostgreSQL is not installed (no pg_config with initdb and pg_ctl on PATH)' };
  const cluster = await startPgCluster(binDir);
  const admin = (url = cluster.url) => new pg.Client({ connectionString: url });
  const one = async <T>(text: string, url?: string): Promise<T> => {
    const c = admin(url);
    await c.connect();
    try {
      return (await c.query(text)).rows[0] as T;
    } finally {
      await c.end();
    }
  };
  try {
    const { data_directory: data } = await one<{ data_directory: string }>('SHOW data_directory');
    const { unix_socket_directories: socketDir } = await one<{ unix_socket_directories: string }>('SHOW unix_socket_directories');
    const port = new URL(cluster.url).port;
    // The helper's options less fsync=off: pg_ctl restart with -o replaces the recorded options.
    const options = `-p ${port} -k '${socketDir}' -c listen_addresses=127.0.0.1`;
    const pgCtl = ['restart', '-D', data, '-m', 'fast', '-w', '-l', join(data, '..', 'log'), '-o', options];
    if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', join(binDir, 'pg_ctl'), ...pgCtl], { cwd: join(data, '..') });
    else await run(join(binDir, 'pg_ctl'), pgCtl, { cwd: join(data, '..') });

    const settings = await one<{ version: string; fsync: string; sync: string; buffers: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync, current_setting('shared_buffers') AS buffers",
    );
    if (settings.fsync !== 'on') throw new Error(`the benchmark's PostgreSQL runs with fsync=${settings.fsync}`);
    // The first line of postmaster.pid (readable where the bench may read the data directory: as its owner or root).
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!postmaster) throw new Error('cannot find the PostgreSQL postmaster');
    const pinTo = (cpuList: string) => {
      for (const pid of [postmaster, ...childPids(postmaster)]) spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
    };
    if (pinning) pinTo(String(cores.server));
    const urlOf = (name: string) => {
      const u = new URL(cluster.url);
      u.pathname = `/${name}`;
      return u.href;
    };
    const create = async (name: string, template?: string) => {
      // A template may still show the session of a process that just closed it: wait for it to go.
      for (let attempt = 0; ; attempt++) {
        try {
          await one(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
          return urlOf(name);
        } catch (err) {
          if (!template || attempt >= 50 || !/being accessed by other users/.test((err as Error).message)) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    return {
      description:
        `PostgreSQL ${settings.version} on 127.0.0.1 (TCP), default settings (fsync ${settings.fsync}, synchronous_commit ${settings.sync}, shared_buffers ${settings.buffers})` +
        (pinning ? `, server pinned to core ${cores.server} with the service` : ''),
      create: (name) => create(name),
      copy: (from, name) => create(name, from),
      sizeBytes: async (name) => Number((await one<{ size: string }>(`SELECT pg_database_size('${name}') AS size`)).size),
      checkpoint: async () => void (await one('CHECKPOINT')),
      async unpinned(fn) {
        if (!pinning) return fn();
        pinTo(`0-${cpus().length - 1}`);
        try {
          return await fn();
        } finally {
          pinTo(String(cores.server));
        }
      },
      cpuSeconds: () => treeCpuSeconds(postmaster),
      stop: cluster.stop,
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
