import type { Db } from '../db/client.js';

/**
 * Recomputes every counter from the rows it counts and compares. Drift must be 0: the counters
 * are only ever changed in the transactions that change the rows, so any drift is a bug.
 */
export function recount(db: Db, opts: { fix?: boolean } = {}) {
  const sql = db.$client;
  const expected = new Map<string, number>();
  const add = (campaignId: string, name: string, n: number) => expected.set(`${campaignId}\u0000${name}`, n);
  const each = (query: string, fn: (r: Record<string, string | number>) => void) =>
    (sql.prepare(query).all() as Record<string, string | number>[]).forEach(fn);

  each('SELECT campaign_id AS c, count(*) AS n FROM supporters WHERE counted_at IS NOT NULL GROUP BY 1', (r) => add(String(r.c), 'supporters', Number(r.n)));
  each('SELECT campaign_id AS c, count(*) AS n FROM supporters WHERE counted_at IS NULL GROUP BY 1', (r) => add(String(r.c), 'pending', Number(r.n)));
  each('SELECT campaign_id AS c, count(*) AS n FROM letters WHERE confirmed_at IS NOT NULL GROUP BY 1', (r) => add(String(r.c), 'letters', Number(r.n)));
  each('SELECT campaign_id AS c, status AS s, count(*) AS n FROM letters GROUP BY 1, 2', (r) => add(String(r.c), `letters.${r.s}`, Number(r.n)));
  each('SELECT campaign_id AS c, target_id AS t, status AS s, count(*) AS n FROM letters GROUP BY 1, 2, 3', (r) =>
    add(String(r.c), `target.${r.t}.${r.s}`, Number(r.n)),
  );
  each('SELECT campaign_id AS c, country AS k, count(*) AS n FROM supporters WHERE counted_at IS NOT NULL GROUP BY 1, 2', (r) =>
    add(String(r.c), `country.${r.k}`, Number(r.n)),
  );
  each('SELECT campaign_id AS c, substr(counted_at, 1, 13) AS h, count(*) AS n FROM supporters WHERE counted_at IS NOT NULL GROUP BY 1, 2', (r) =>
    add(String(r.c), `hour.${r.h}`, Number(r.n)),
  );

  const actual = new Map<string, number>();
  each('SELECT campaign_id AS c, name, value FROM counters', (r) => actual.set(`${r.c}\u0000${r.name}`, Number(r.value)));

  const drifts: { campaignId: string; name: string; expected: number; actual: number }[] = [];
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(key) ?? 0;
    const a = actual.get(key) ?? 0;
    if (e !== a) {
      const [campaignId = '', name = ''] = key.split('\u0000');
      drifts.push({ campaignId, name, expected: e, actual: a });
    }
  }
  if (opts.fix && drifts.length > 0) {
    const set = sql.prepare(
      `INSERT INTO counters (campaign_id, name, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (campaign_id, name) DO UPDATE SET value = excluded.value`,
    );
    sql.transaction(() => drifts.forEach((d) => set.run(d.campaignId, d.name, d.expected, new Date().toISOString()))).immediate();
  }
  return { drift: drifts.reduce((sum, d) => sum + Math.abs(d.expected - d.actual), 0), drifts };
}
