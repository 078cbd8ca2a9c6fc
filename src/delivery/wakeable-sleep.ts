/**
 * A loop's pause that `wake()` ends early. A wake that comes while the loop is busy (awaiting
 * storage, not sleeping) is kept, and ends its next sleep at once: it is never lost.
 */
export function createWakeableSleep() {
  let wakeUp: (() => void) | null = null;
  let woken = false;
  return {
    wake(): void {
      if (wakeUp) wakeUp();
      else woken = true;
    },
    /** Call at the top of each round: wakes before it were for the round now starting. */
    clear(): void {
      woken = false;
    },
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        if (woken) return resolve();
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wakeUp = null;
          resolve();
        }
        wakeUp = done;
      }),
  };
}
