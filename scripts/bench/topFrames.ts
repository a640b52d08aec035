// Top frames of a .cpuprofile by self time, and by total time for the project's own
// functions, counting only samples inside a time window (the measured passes).
//   npx tsx scripts/bench/topFrames.ts file.cpuprofile [n]     (whole profile)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  frame: string;
  /** Share of the sampled time in the window, 0..1. */
  share: number;
}

export interface TopFrames {
  sampled_ms: number;
  self: Frame[];
  /** Project functions (functions/…) by inclusive time. */
  total: Frame[];
}

/** "name functions/x/y.js:12" — paths shortened to the repository (or package) folder. */
function label(x: Node): string {
  const url = x.callFrame.url.replace(/^file:\/\/.*?\/(functions|scripts|node_modules)\//, '$1/').replace(/^node_modules\/\.cache\/kubesift-bench\/dist\//, '');
  return `${x.callFrame.functionName || '(anonymous)'}${url ? ` ${url}:${x.callFrame.lineNumber + 1}` : ''}`;
}

export function topFrames(prof: CpuProfile, n = 20, window?: { from: number; to: number }): TopFrames {
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    t += dt;
    if (window && (t < window.from || t > window.to)) continue;
    all += dt;
    const leaf = byId.get(prof.samples[i]!)!;
    const l = label(leaf);
    self.set(l, (self.get(l) ?? 0) + dt);
    // Inclusive time: each distinct frame once per sample (recursion-safe).
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const f = label(byId.get(id)!);
      if (seen.has(f)) continue;
      seen.add(f);
      total.set(f, (total.get(f) ?? 0) + dt);
    }
  }
  const top = (m: Map<string, number>, keep: (f: string) => boolean): Frame[] =>
    [...m].filter(([f]) => keep(f)).sort((a, b) => b[1] - a[1]).slice(0, n).map(([frame, v]) => ({ frame, share: all ? v / all : 0 }));
  return { sampled_ms: Math.round(all / 1000), self: top(self, () => true), total: top(total, (f) => f.includes(' functions/')) };
}

export function formatFrames(t: TopFrames): string {
  const pct = (v: number): string => `${(v * 100).toFixed(1).padStart(5)}%`;
  return [
    `self time (of ${t.sampled_ms} ms sampled):`,
    ...t.self.map((f) => `${pct(f.share)}  ${f.frame}`),
    '',
    'total time, project code:',
    ...t.total.map((f) => `${pct(f.share)}  ${f.frame}`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, nArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: topFrames.ts file.cpuprofile [n]');
  console.log(formatFrames(topFrames(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(nArg ?? 25))));
}
