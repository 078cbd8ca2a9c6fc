/**
 * The test run behind `npm test` (after typecheck and lint): starts a throwaway PostgreSQL
 * cluster when PostgreSQL is installed, runs the test files through `tsx --test`, forwards
 * their output and exit code, and always stops the cluster (normal end, failure, SIGINT or
 * SIGTERM). `tsx test/run.ts FILE…` runs just those files, cluster included.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { postgresBinDir, startPgCluster, type PgCluster } from './helpers/pg-cluster.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

/** One `tsx --test` run over some files with some extra environment. */
interface Pass {
  name: string;
  files: string[];
  env: Record<string, string>;
}

/**
 * Files the PostgreSQL pass leaves out: they run no app on the engine under test (pure units,
 * docs, the spawned production start), test both engines side by side already, or are about
 * SQLite's own files.
 */
const sameOnEveryEngine = new Set([
  'delivery-backoff.test.ts',
  'delivery-transports.test.ts',
  'foundation-docs.test.ts',
  'migrations.test.ts',
  'production-start.test.ts',
  'store-engine.test.ts',
  'postgres-storage.test.ts',
  'file-modes.test.ts',
]);

let interrupted: NodeJS.Signals | undefined;
let running: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = signal;
    running?.kill(signal);
  });
}

let cluster: PgCluster | undefined;
let exitCode = 0;
try {
  const files = process.argv.length > 2 ? process.argv.slice(2) : allTestFiles();
  cluster = await startPostgres();
  // Every file runs on SQLite; with PostgreSQL installed, every file runs again with the app on PostgreSQL.
  const pgEnv: Record<string, string> = cluster ? { CHORUS_TEST_PG_URL: cluster.url } : {};
  // CHORUS_TEST_ENGINES=sqlite (or postgres) runs one pass only, while working on one engine.
  const only = process.env.CHORUS_TEST_ENGINES;
  const passes: Pass[] = [];
  if (only !== 'postgres') passes.push({ name: 'SQLite', files, env: pgEnv });
  const onPostgres = files.filter((f) => !sameOnEveryEngine.has(f.replace(/^test\//, '')));
  if (cluster && only !== 'sqlite' && onPostgres.length > 0) passes.push({ name: 'PostgreSQL', files: onPostgres, env: { ...pgEnv, CHORUS_TEST_ENGINE: 'postgres' } });
  for (const pass of passes) {
    if (interrupted) break;
    const code = await runPass(pass);
    if (code !== 0 && !interrupted) console.error(`test pass "${pass.name}" failed (exit code ${code})`);
    exitCode ||= code;
  }
} catch (err) {
  console.error((err as Error).message);
  exitCode = 1;
} finally {
  await cluster?.stop();
}
process.exitCode = interrupted ? 128 + constants.signals[interrupted] : exitCode;


/** Every test/**\/*.test.ts, sorted. Node 20 does not expand globs, and zero files would pass silently. */
function allTestFiles(): string[] {
  const found = readdirSync(new URL('.', import.meta.url), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.test.ts'))
    .map((path) => `test/${path}`)
    .sort();
  if (found.length === 0) throw new Error('no test files found under test/');
  return found;
}

async function startPostgres(): Promise<PgCluster | undefined> {
  const binDir = postgresBinDir();
  if (!binDir) {
    console.error(
      '\n*** PostgreSQL is not installed (no initdb in `pg_config --bindir`): the PostgreSQL tests are SKIPPED. ' +
        'Install it with `apt-get install -y postgresql` (Debian; .ci/run does this). ***\n',
    );
    return undefined;
  }
  return startPgCluster(binDir);
}

function runPass(pass: Pass): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...pass.env };
  if (!pass.env.CHORUS_TEST_PG_URL) delete env.CHORUS_TEST_PG_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsxCli, '--test', '--test-concurrency=2', ...pass.files], { cwd: root, env, stdio: 'inherit' });
    running = child;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      running = undefined;
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
