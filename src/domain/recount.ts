import type { Store } from '../store/index.js';

/**
 * Recomputes every counter from the rows it counts and compares. Drift must be 0: the counters
 * are only ever changed in the transactions that change the rows, so any drift is a bug.
 */
export async function recount(store: Pick<Store, 'counters' | 'transaction'>, opts: { fix?: boolean } = {}) {
  const key = (campaignId: string, name: string) => `${campaignId}\u0000${name}`;
  const expected = new Map((await store.counters.fromRows()).map((r) => [key(r.campaignId, r.name), r.value]));
  // `turn.` counters take turns (subject lines) and count no rows: nothing to compare them with.
  const actual = new Map((await store.counters.all()).filter((r) => !r.name.startsWith('turn.')).map((r) => [key(r.campaignId, r.name), r.value]));

  const drifts: { campaignId: string; name: string; expected: number; actual: number }[] = [];
  for (const k of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(k) ?? 0;
    const a = actual.get(k) ?? 0;
    if (e !== a) {
      const [campaignId = '', name = ''] = k.split('\u0000');
      drifts.push({ campaignId, name, expected: e, actual: a });
    }
  }
  if (opts.fix && drifts.length > 0) {
    const at = new Date().toISOString();
    await store.transaction(async () => {
      for (const d of drifts) await store.counters.set(d.campaignId, d.name, d.expected, at);
    });
  }
  return { drift: drifts.reduce((sum, d) => sum + Math.abs(d.expected - d.actual), 0), drifts };
}
