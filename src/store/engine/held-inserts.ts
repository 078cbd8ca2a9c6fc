/** An INSERT held back by `AsyncSql.hold`, to be sent with others of its text as one statement. */
export interface HeldRow {
  text: string;
  params: unknown[];
  rank: number;
}

/** Sending a transaction's held inserts failed: the transaction can only roll back, and no row's own caller can be told which row it was. */
export class HeldInsertError extends Error {
  constructor(cause: unknown) {
    super(`held inserts failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** Few enough parameters for either engine (SQLite takes 32,766, PostgreSQL 65,535). */
const maxParams = 16_000;

/**
 * Held rows as multi-row INSERTs: one per text (its `VALUES (…)` tuple repeated), in rank order
 * and then in order of first appearance, so a row goes out after the rows it references
 * whichever order the writes came in.
 */
export function multiRowInserts(rows: readonly HeldRow[]): { text: string; params: unknown[] }[] {
  const byText = new Map<string, HeldRow[]>();
  for (const row of rows) {
    const same = byText.get(row.text);
    if (same) same.push(row);
    else byText.set(row.text, [row]);
  }
  const groups = [...byText.values()].sort((a, b) => a[0]!.rank - b[0]!.rank);
  const statements: { text: string; params: unknown[] }[] = [];
  for (const group of groups) {
    const { text } = group[0]!;
    const at = text.lastIndexOf('VALUES');
    if (at < 0) throw new Error(`a held insert must end with its VALUES tuple: ${text.slice(0, 60)}`);
    const head = text.slice(0, at + 'VALUES'.length);
    const tuple = text.slice(at + 'VALUES'.length).trim();
    const perStatement = Math.max(1, Math.floor(maxParams / Math.max(1, group[0]!.params.length)));
    for (let i = 0; i < group.length; i += perStatement) {
      const chunk = group.slice(i, i + perStatement);
      statements.push({ text: `${head} ${chunk.map(() => tuple).join(', ')}`, params: chunk.flatMap((r) => r.params) });
    }
  }
  return statements;
}
