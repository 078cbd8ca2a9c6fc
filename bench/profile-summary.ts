import { readFileSync } from 'node:fs';

/**
 * `tsx bench/profile-summary.ts file.cpuprofile [top]`: where a V8 CPU profile spent its time,
 * as self time per function and per package (or src/ folder), in percent of the samples that
 * were not idle. Used to decide what to optimize; not part of `npm run bench`'s figures.
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
// A shell glob matching Node's per-thread profiles passes a second file here: say so instead of printing nothing.
if (!Number.isInteger(top) || top < 1) {
  console.error(`top must be a whole number, not ${topArg}: pass one profile (the main thread's is the largest)`);
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Who owns a frame: a package, a folder of this repository, node itself, or the VM. */
function owner(url: string): string {
  if (!url) return '(vm/native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/((?:src|bench)\/.*)\/[^/]+$/.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url;
}

/** A frame as `function file:line`, the file relative to its package or to this repository. */
function frame(f: Node['callFrame']): string {
  const file = /(?:node_modules\/|\/(?=(?:src|bench)\/))(.*)$/.exec(f.url)?.[1] ?? (f.url || '(native)');
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const idle = new Set(['(idle)', '(program)']);
let busy = 0;
const fnTime = new Map<string, number>();
const ownerTime = new Map<string, number>();
/** Inclusive time of frames from src/: what each of our functions costs with everything it calls. */
const inclusive = new Map<string, number>();
/** Inclusive time per package: what a dependency costs with everything it calls back into. */
const ownerInclusive = new Map<string, number>();
for (const [id, t] of selfTime) {
  const n = byId.get(id)!;
  if (idle.has(n.callFrame.functionName)) continue;
  busy += t;
  const where = owner(n.callFrame.url);
  const fn = frame(n.callFrame);
  fnTime.set(fn, (fnTime.get(fn) ?? 0) + t);
  ownerTime.set(where, (ownerTime.get(where) ?? 0) + t);
  const owners = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) owners.add(owner(byId.get(cur)!.callFrame.url));
  for (const o of owners) ownerInclusive.set(o, (ownerInclusive.get(o) ?? 0) + t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame;
    if (!/\/src\//.test(f.url)) continue;
    const key = frame(f);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}

const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>) => {
  if (m.size === 0) return;
  console.log(`\n${title}`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
};
const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
console.log(`busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled`);
print('self time by owner', ownerTime);
print('inclusive time by owner', ownerInclusive);
print('self time by function', fnTime);
print('inclusive time of src/ functions', inclusive);
