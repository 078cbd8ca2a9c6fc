import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PgCluster {
  /** Superuser `chorus` (trust auth) on the cluster's `postgres` database. */
  url: string;
  /** Stops the server and deletes its directory; safe to call more than once. */
  stop(): Promise<void>;
}

/** Where initdb and pg_ctl are (`pg_config --bindir`), or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A throwaway PostgreSQL cluster in a temp directory, on a free port of 127.0.0.1, with its
 * unix socket in the same directory (never the system's). PostgreSQL refuses to run as root,
 * so under root (tests and CI) the directory is handed to the `postgres` user and the binaries
 * run through runuser. Takes about 2 s.
 */
export async function startPgCluster(binDir: string): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, idOf('-u'), idOf('-g'));
  const pgBin = (name: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(binDir, name), ...args], { cwd: dir })
      : run(join(binDir, name), args, { cwd: dir });

  const port = await freePort();
  const server = [
    `-p ${port}`,
    `-k '${dir}'`,
    '-c listen_addresses=127.0.0.1',
    // fsync=off only for this throwaway cluster: a database per test file and every commit
    // would otherwise wait for a disk flush. It loses data only if PostgreSQL itself or the
    // machine crashes, which no test does (they kill Chorus processes); the benchmark
    // measures a server with the durable defaults.
    '-c fsync=off',
  ].join(' ');
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= pgBin('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w'])
      .then(
        () => undefined,
        () => undefined, // never started, or already gone: nothing left to stop
      )
      .finally(() => rmSync(dir, { recursive: true, force: true })));
  try {
    // --locale=C: text sorts and compares by byte, as on SQLite, whatever the machine's locale.
    await pgBin('initdb', ['-D', data, '-U', 'chorus', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
    await pgBin('pg_ctl', ['start', '-D', data, '-l', join(dir, 'log'), '-w', '-o', server]);
  } catch (err) {
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').slice(-2000) : '';
    await stop();
    throw new Error(`could not start the test PostgreSQL cluster: ${(err as Error).message}\n${log}`);
  }
  return { url: `postgres://chorus@127.0.0.1:${port}/postgres`, stop };
}

function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
