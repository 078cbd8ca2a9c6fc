import type { ChildProcess } from 'node:child_process';

export type LogLine = Record<string, unknown> & { msg?: string; pid?: number };

/** Every line of `text` parsed as JSON; throws naming the first line that is not. */
export function jsonLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

/** The lines of `text` that are JSON (npm prints its own banner around a script's output). */
export function logLines(text: string): LogLine[] {
  return text.split('\n').flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return parsed && typeof parsed === 'object' ? [parsed as LogLine] : [];
    } catch {
      return [];
    }
  });
}

/** Resolves with the server's "listening" log line once it is on stdout (rejects if the process exits first). */
export function listeningLine(child: ChildProcess, out: { stdout: string; stderr: string }): Promise<LogLine & { url: string }> {
  return new Promise((resolve, reject) => {
    const check = () => {
      for (const line of logLines(out.stdout)) {
        const m = /^Chorus is listening on (http:\/\/\S+)$/.exec(line.msg ?? '');
        if (m) {
          child.stdout!.off('data', check);
          child.off('exit', exited);
          return resolve({ ...line, url: m[1]! });
        }
      }
    };
    const exited = (code: number | null) => reject(new Error(`exited (${code}) before listening: ${out.stderr}`));
    child.stdout!.on('data', check);
    child.once('exit', exited);
    check();
  });
}
