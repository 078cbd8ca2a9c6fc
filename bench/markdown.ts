import { readFileSync } from 'node:fs';
import { formatMarkdown, type Row } from './report.js';

/** `npx tsx bench/markdown.ts`: bench/results.json as the README's "Latest figures" (table, machine, command). */
const results = JSON.parse(readFileSync(new URL('results.json', import.meta.url), 'utf8')) as {
  command: string;
  date: string;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; kernel: string; pinning: boolean };
  settings: { runs: number; durationS: number };
  backgroundCores: Record<string, number>;
  /** How the PostgreSQL column was measured, or why it was skipped (empty when it was not asked for). */
  postgres?: string;
  rows: Row[];
};
const m = results.machine;
const busy = Object.entries(results.backgroundCores).filter(([, c]) => c >= 0.15);
console.log(
  [
    `\`${results.command}\` on ${results.date.slice(0, 10)}: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.kernel}, Node ${m.node}, ` +
      `${m.pinning ? 'server and load generator pinned to different cores' : 'no core pinning'}; ` +
      `median of ${results.settings.runs} run(s) of ${results.settings.durationS} s.` +
      (busy.length ? ` The machine was busy with other work (${busy.map(([p, c]) => `${p}: ${c} cores`).join(', ')}).` : '') +
      (results.postgres ? ` ${results.postgres}` : ''),
    '',
    formatMarkdown(results.rows),
  ].join('\n'),
);
