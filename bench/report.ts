/** One line of the results table: a figure, its target if it has one, and whether it was met. */
export interface Row {
  measure: string;
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

/** `pass`, `MISS` or, when only some of a row's targets were missed, which: `MISS >= 40% of baseline`. */
function result(r: Row): string {
  if (r.pass === null) return '';
  if (r.pass) return 'pass';
  const both = Boolean(r.target) && Boolean(r.ratioTarget);
  return both && r.missed?.length === 1 ? `MISS ${r.missed[0]}` : 'MISS';
}

export function formatTable(rows: Row[]): string {
  const cells = rows.map((r) => [
    r.measure,
    fmt(r.value, r.unit),
    [r.target ? `${r.target} ${r.unit}`.trim() : '', r.ratioTarget ? `${asPercent(r.ratioTarget)} of baseline` : '']
      .filter(Boolean)
      .join(', '),
    result(r),
    r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(0)}%`,
    r.note ?? '',
  ]);
  const head = ['measure', 'value', 'target', 'result', 'ratio', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 1 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** The same table as Markdown, for the README's Performance section. */
export function formatMarkdown(rows: Row[]): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const lines = ['| measure | value | target | result | ratio | note |', '| --- | ---: | --- | --- | ---: | --- |'];
  for (const r of rows) {
    const target = [r.target ? `${r.target} ${r.unit}`.trim() : '', r.ratioTarget ? `${asPercent(r.ratioTarget)} of baseline` : '']
      .filter(Boolean)
      .join(', ');
    const res = result(r).replace(/^MISS/, '**MISS**');
    const ratio = r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(0)}%`;
    lines.push(`| ${[r.measure, fmt(r.value, r.unit), target, res, ratio, r.note ?? ''].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}
