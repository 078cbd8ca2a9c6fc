/** One line of the results table: a figure, its target if it has one, and whether it was met. */
export interface Row {
  measure: string;
  /** The figure on SQLite (the default engine); null when it could not be measured. */
  value: number | null;
  unit: string;
  /** e.g. `>= 3300`, `< 50`; empty for a figure that is reported but has no target. */
  target: string;
  pass: boolean | null;
  /** The figure divided by its baseline, where it has one, and the least share it must reach (e.g. `>= 0.4`). */
  ratio?: number;
  ratioTarget?: string;
  /** The targets a failed row missed (a row may meet its absolute target and miss its ratio). */
  missed?: string[];
  note?: string;
  /** A figure measured on PostgreSQL only: the SQLite cells stay empty. */
  postgresOnly?: boolean;
  /** The same measure with the service on PostgreSQL (DATABASE_URL), judged against the same targets. */
  pg?: Omit<Row, 'measure' | 'unit' | 'target' | 'pg' | 'pgVsSqlite' | 'postgresOnly'>;
  /** The PostgreSQL figure over the SQLite one. */
  pgVsSqlite?: number;
}

/**
 * Adds an engine's row to the table: a SQLite row as it is; a PostgreSQL row into the PostgreSQL
 * cells of the row with the same measure, or, for a measure of its own, after the last row it
 * joined. Returns the row in the table.
 */
export function addRow(rows: Row[], r: Row, engine: 'sqlite' | 'postgres', place: { after: number }): Row {
  if (engine === 'sqlite') {
    rows.push(r);
    place.after = rows.length - 1;
    return r;
  }
  const cell = { value: r.value, pass: r.pass, ratio: r.ratio, ratioTarget: r.ratioTarget, missed: r.missed, note: r.note };
  const at = rows.findIndex((x) => x.measure === r.measure);
  if (at >= 0) {
    const x = rows[at]!;
    x.pg = cell;
    if (!x.postgresOnly && x.value !== null && r.value !== null && x.value > 0 && x.unit !== '' && x.unit !== '×') x.pgVsSqlite = r.value / x.value;
    place.after = at;
    return x;
  }
  const x: Row = { measure: r.measure, value: null, unit: r.unit, target: r.target, pass: null, postgresOnly: true, pg: cell };
  rows.splice(place.after + 1, 0, x);
  place.after += 1;
  return x;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A row whose figure is checked against `target` (`>= n`, `<= n`, `< n`, `= n`). */
export function row(measure: string, value: number | null, unit: string, target = '', extra: Partial<Row> = {}): Row {
  const r: Row = { measure, value, unit, target, pass: null, ...extra };
  const missed: string[] = [];
  let checked = false;
  if (value !== null && target) {
    checked = true;
    if (!meets(value, target)) missed.push(target);
  }
  if (value !== null && r.ratio !== undefined && r.ratioTarget) {
    checked = true;
    if (!meets(r.ratio, r.ratioTarget)) missed.push(`${asPercent(r.ratioTarget)} of baseline`);
  }
  if (checked) r.pass = missed.length === 0;
  if (missed.length) r.missed = missed;
  return r;
}

function meets(value: number, target: string): boolean {
  const [, op, n] = /^(>=|<=|<|>|=)\s*([\d.]+)/.exec(target.replaceAll(',', '')) ?? [];
  const t = Number(n);
  switch (op) {
    case '>=':
      return value >= t;
    case '<=':
      return value <= t;
    case '<':
      return value < t;
    case '>':
      return value > t;
    case '=':
      return value === t;
    default:
      throw new Error(`bad target ${target}`);
  }
}

const fmt = (v: number | null, unit: string) => {
  if (v === null) return 'n/a';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })}${unit ? ` ${unit}` : ''}`;
};

const asPercent = (ratioTarget: string) => ratioTarget.replace(/[\d.]+/, (n) => `${Number(n) * 100}%`);

type Cell = NonNullable<Row['pg']>;

/** `pass`, `MISS` or, when only some of a row's targets were missed, which: `MISS >= 40% of baseline`. */
function result(c: Cell, target: string): string {
  if (c.pass === null) return '';
  if (c.pass) return 'pass';
  const both = Boolean(target) && Boolean(c.ratioTarget);
  return both && c.missed?.length === 1 ? `MISS ${c.missed[0]}` : 'MISS';
}

const percent = (ratio: number | undefined) => (ratio === undefined ? '' : `${(ratio * 100).toFixed(0)}%`);
const targetOf = (r: Row) =>
  [r.target ? `${r.target} ${r.unit}`.trim() : '', (r.ratioTarget ?? r.pg?.ratioTarget) ? `${asPercent((r.ratioTarget ?? r.pg?.ratioTarget)!)} of baseline` : '']
    .filter(Boolean)
    .join(', ');

/**
 * The cells of the table. Without PostgreSQL figures: measure, value, target, result, ratio, note
 * (as before the PostgreSQL column). With them, each engine has its value, result and ratio to
 * its baseline, then PostgreSQL's figure over SQLite's; the note is SQLite's, and PostgreSQL's
 * note follows on a line of its own (in Markdown, in the same cell after a <br>).
 */
function tableCells(rows: Row[], markdownNotes: boolean): { head: string[]; body: string[][]; numeric: number[]; results: number[] } {
  if (!rows.some((r) => r.pg)) {
    return {
      head: ['measure', 'value', 'target', 'result', 'ratio', 'note'],
      body: rows.map((r) => [r.measure, fmt(r.value, r.unit), targetOf(r), result(r, r.target), percent(r.ratio), r.note ?? '']),
      numeric: [1, 4],
      results: [3],
    };
  }
  const body: string[][] = [];
  for (const r of rows) {
    const sqlite = r.postgresOnly ? ['', '', ''] : [fmt(r.value, r.unit), result(r, r.target), percent(r.ratio)];
    const pg = r.pg ? [fmt(r.pg.value, r.unit), result(r.pg, r.target), percent(r.pg.ratio)] : ['', '', ''];
    const sqliteNote = r.postgresOnly ? '' : (r.note ?? '');
    const pgNote = r.pg?.note ? `PostgreSQL: ${r.pg.note}` : '';
    const note = markdownNotes ? [sqliteNote && r.pg ? `SQLite: ${sqliteNote}` : sqliteNote, pgNote].filter(Boolean).join('<br>') : sqliteNote;
    body.push([r.measure, targetOf(r), ...sqlite, ...pg, r.pgVsSqlite === undefined ? '' : `${fmt(r.pgVsSqlite, '')}×`, note]);
    if (!markdownNotes && pgNote) body.push(['', '', '', '', '', '', '', '', '', pgNote]);
  }
  return {
    head: ['measure', 'target', 'SQLite', 'result', 'ratio', 'PostgreSQL', 'result', 'ratio', 'PG/SQLite', 'note'],
    body,
    numeric: [2, 4, 5, 7, 8],
    results: [3, 6],
  };
}

export function formatTable(rows: Row[]): string {
  const { head, body, numeric } = tableCells(rows, false);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (numeric.includes(i) ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The same table as Markdown, for the README's Performance section. */
export function formatMarkdown(rows: Row[]): string {
  const { head, body, numeric, results } = tableCells(rows, true);
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (numeric.includes(i) ? '---:' : '---')).join(' | ')} |`];
  for (const c of body) lines.push(`| ${c.map((x, i) => cell(results.includes(i) ? x.replace(/^MISS/, '**MISS**') : x)).join(' | ')} |`);
  return lines.join('\n');
}
