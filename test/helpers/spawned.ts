import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** A process whose output is collected and whose exit is awaited; `running` holds it until it exits (for cleanup in after()). */
export function spawnCollecting(command: string, args: string[], options: SpawnOptions, running: Set<ChildProcess>) {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out.stderr += c.toString()));
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, out, exited };
}
