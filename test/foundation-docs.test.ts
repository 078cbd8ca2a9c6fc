import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EnvSchema, loadConfig } from '../src/config.js';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const variables = Object.keys(EnvSchema.shape);

/** README env table rows: `| \`A\` / \`B\` | \`1\` / \`2\` | meaning |` → { A: '1', B: '2' } (defaults as written). */
function readmeDefaults(readme: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`')) continue;
    const names = [...cells[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!);
    const defaults = cells[2]!.split(' / ').map((d) => d.replace(/`/g, ''));
    names.forEach((name, i) => table.set(name, defaults[names.length === defaults.length ? i : 0]!));
  }
  return table;
}

describe('the documentation matches the code', () => {
  const readme = read('README.md');

  it('README: the two commands verbatim and the sections others extend', () => {
    assert.ok(readme.includes('npm install && npm start'));
    assert.ok(readme.includes('npm install && npm test'));
    for (const heading of ['Configuration', 'Organizer API walkthrough', 'Architecture', 'Supporters and counting', 'Delivery', 'Pages', 'Performance', 'Privacy']) {
      assert.match(readme, new RegExp(`^## ${heading}$`, 'm'), heading);
    }
    assert.doesNotMatch(readme, /\b(TODO|TBD|FIXME|lorem ipsum)\b/i);
  });

  it('README: every variable of src/config.ts is in the table, with the default the code uses', () => {
    const table = readmeDefaults(readme);
    const defaults = loadConfig({});
    for (const name of variables) {
      assert.ok(table.has(name), `${name} missing from the README table`);
      const actual = (defaults as Record<string, unknown>)[name];
      assert.equal(table.get(name), actual === undefined ? 'unset' : String(actual), name);
    }
    assert.deepEqual([...table.keys()].filter((n) => !variables.includes(n)), [], 'no stale variables');
  });

  it('.env.example lists every variable, commented, with the same default', () => {
    const example = read('.env.example');
    const defaults = loadConfig({}) as Record<string, unknown>;
    for (const name of variables) {
      const m = new RegExp(`^# ${name}=(.*)$`, 'm').exec(example);
      assert.ok(m, `${name} missing from .env.example`);
      assert.equal(m[1], defaults[name] === undefined ? '' : String(defaults[name]), name);
    }
    assert.doesNotMatch(example, /^[A-Z_]+=/m, 'nothing is set by default');
  });

  it('.ci/run is executable, strict bash, and runs exactly the README test command', () => {
    accessSync(new URL('../.ci/run', import.meta.url), constants.X_OK);
    const ci = read('.ci/run');
    assert.match(ci, /^#!\/usr\/bin\/env bash\n/);
    assert.match(ci, /^set -euo pipefail$/m);
    assert.match(ci, /^npm install && npm test$/m);
    assert.match(ci, /command -v chromium/);
  });
});
