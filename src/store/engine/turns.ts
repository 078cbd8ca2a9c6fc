/**
 * A FIFO lock without timers: whoever holds it hands it straight to the next waiter, whose
 * continuation runs as a microtask of the release, so no macrotask (I/O, timers, another
 * request's callbacks) slips in between two holders.
 */
export function createTurns() {
  let held = false;
  const waiting: (() => void)[] = [];
  return {
    get held(): boolean {
      return held;
    },
    /** Resolves once the caller holds the lock; synchronously-fast when it is free. */
    async acquire(): Promise<void> {
      if (!held) {
        held = true;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else held = false;
    },
  };
}
