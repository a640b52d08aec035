// Top frames of a .cpuprofile by self time (and by total time for our own functions), as a
// plain table for docs/performance.md.
//   npx tsx scripts/bench/topFrames.ts file.cpuprofile [n]
import { readFileSync } from 'node:fs';

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

const [file, nArg] = process.argv.slice(2);
if (!file) throw new Error('usage: topFrames.ts file.cpuprofile [n]');
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const n = Number(nArg ?? 25);
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const parent = new Map<number, number>();
for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);

const label = (x: Node): string => {
  const url = x.callFrame.url.replace(/^file:\/\/.*?\/(functions|scripts|node_modules)\//, '$1/');
  return `${x.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${x.callFrame.lineNumber + 1}` : ''}`.trim();
};
const self = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0;
  all += dt;
  const leaf = byId.get(prof.samples[i]!)!;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
  // Total time: count each distinct frame once per sample (recursion-safe).
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id)!);
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + dt);
  }
}
const pct = (v: number): string => `${((v / all) * 100).toFixed(1).padStart(5)}%`;
console.log(`self time (of ${(all / 1000).toFixed(0)} ms sampled):`);
for (const [l, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(v)}  ${l}`);
console.log('\ntotal time, project code:');
for (const [l, v] of [...total].filter(([l]) => l.includes('functions/')).sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(v)}  ${l}`);
