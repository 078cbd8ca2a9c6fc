/**
 * One statement for many callers: the first call goes out at once; calls made while it is in
 * flight wait and go out together as the next batch, so under load N callers cost one round
 * trip, and an idle caller waits for nothing. `send` answers each item, in order; if it throws,
 * every caller of that batch gets the error.
 */
export function coalesce<I, R>(send: (items: I[]) => Promise<R[]>, maxBatch = 500): (item: I) => Promise<R> {
  let waiting: { item: I; resolve(r: R): void; reject(err: unknown): void }[] = [];
  let inFlight = false;

  async function drain(): Promise<void> {
    inFlight = true;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(maxBatch);
      try {
        const results = await send(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    inFlight = false;
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!inFlight) void drain();
    });
}
