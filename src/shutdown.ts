import closeWithGrace from 'close-with-grace';
import type { BaseLogger } from 'pino';

/** Longest a graceful shutdown may take: past it the process exits 1 with whatever is still open. */
export const shutdownGraceMs = 10_000;

const stopSignals = ['SIGTERM', 'SIGINT'] as const;

/**
 * Runs `close` once, on the first SIGTERM or SIGINT (or an uncaught error, or the event loop
 * running dry), then exits: 0 when it finished, 1 after an error or past `shutdownGraceMs`.
 *
 * A repeated stop signal is logged and ignored instead of cutting the shutdown short (what
 * close-with-grace does, with exit code 1): under `npm start` a signal sent to the process group,
 * as systemd and a terminal's Ctrl-C do, reaches the server twice, once from the kernel and once
 * forwarded by npm. The grace period still bounds how long the copy waits.
 */
export function closeGracefully(log: Pick<BaseLogger, 'info' | 'warn' | 'error'>, close: () => Promise<void>): void {
  const grace = closeWithGrace({ delay: shutdownGraceMs, skip: [...stopSignals], logger: { error: (message: string) => log.error(message) } }, async ({ err }) => {
    if (err) log.error({ err }, 'closing after an error');
    await close();
  });
  let stopping = false;
  for (const signal of stopSignals) {
    process.on(signal, () => {
      if (stopping) return log.warn({ signal }, 'already shutting down');
      stopping = true;
      log.info({ signal }, 'shutting down');
      grace.close();
    });
  }
}
