// The benchmark's own logic: targets at their boundaries, the report tables, the profile
// summary, and `npm run bench -- --json` carrying the figures the issue names (a tiny run:
// the shape and the bookkeeping are checked, never a speed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { throughputFigures, workerFigures, type StageMs } from '../scripts/bench/figures.js';
import { markdownReport, textReport } from '../scripts/bench/report.js';
import { median } from '../scripts/bench/stats.js';
import { checkTargets, type Figures } from '../scripts/bench/targets.js';
import { formatFrames, topFrames, type CpuProfile } from '../scripts/bench/topFrames.js';

const figures = (over: Partial<Figures> = {}): Figures => ({
  ratio: 2.0,
  pipeline_audit_rps: 60_000,
  detect_overhead: 0.25,
  generator_lps: { syslog: 500_000, cef: 150_000 },
  generator_missing: [],
  rss_1m_mb: 150,
  import_ms: 300,
  import_offenders: [],
  ...over,
});
const verdicts = (f: Figures): Record<string, boolean | null> => Object.fromEntries(checkTargets(f).map((c) => [c.name, c.pass]));

describe('targets', () => {
  it('pass exactly at each bound', () => {
    expect(Object.values(verdicts(figures())).every((v) => v === true)).toBe(true);
  });

  it('miss one step past each bound, syslog against its own 500,000', () => {
    const v = verdicts(figures({ ratio: 2.01, pipeline_audit_rps: 59_999, detect_overhead: 0.251, generator_lps: { syslog: 499_999, cef: 149_999, auditd: 499_999 }, rss_1m_mb: 150.1, import_ms: 300.1, import_offenders: [{ module: 'avsc' }] }));
    expect(v).toEqual({
      'pipeline/floor ratio': false,
      'pipeline audit records/s (one core)': false,
      'detection over envelope+normalize': false,
      'generate syslog lines/s': false,
      'generate cef lines/s': false,
      'generate auditd lines/s': true,
      'peak RSS, 1M lines (MB, worst type)': false,
      'app entry import (ms)': false,
      'heavy modules at app start': false,
    });
  });

  it('a figure not measured is N/A, not a pass', () => {
    const checks = checkTargets(figures({ ratio: null, rss_1m_mb: null, import_offenders: null, generator_missing: ['verifone'] }));
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(byName.get('pipeline/floor ratio')!.pass).toBeNull();
    expect(byName.get('peak RSS, 1M lines (MB, worst type)')!.pass).toBeNull();
    expect(byName.get('heavy modules at app start')).toMatchObject({ value: null, pass: null });
    expect(byName.get('generate verifone lines/s')).toMatchObject({ value: null, pass: null });
  });
});

describe('throughput arithmetic', () => {
  const span = (cpu: number, wall = cpu): { cpu: number; wall: number } => ({ cpu, wall });
  const stage = (envelope: number, normalize: number, detect: number, serialize: number, gzip = 0): StageMs => ({ envelope, normalize, detect, serialize, gzip });

  it('median of odd and even lists; empty is NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('the ratio is the median of paired runs, reported beside the ratio of the medians', () => {
    // Run 2 is slow on the pipeline side only: its pair ratio is the outlier the median drops.
    const f = throughputFigures(120_000, 108_000, [span(600), span(700), span(800)], [span(1200), span(2800), span(1700)], [stage(1, 1, 1, 1), stage(1, 1, 1, 1), stage(1, 1, 1, 1)]);
    expect(f.ratio_runs).toEqual([2, 4, 2.125]);
    expect(f.ratio).toBe(2.13); // median 2.125, rounded up
    expect(f.ratio_of_medians).toBe(2.43); // 1700 / 700 = 2.428…
    expect(f.floor_rps).toBe(171_428); // 120,000 / 0.7 s = 171,428.57…, rounded down
    expect(f.pipeline_rps).toBe(70_588);
    expect(f.pipeline_audit_rps).toBe(63_529);
  });

  it('rounds toward a miss: a ratio of 2.001 is 2.01, a rate of 59,999.9 is 59,999', () => {
    const f = throughputFigures(1000, 1000, [span(1000)], [span(2001)], [stage(10, 30, 10, 50)]);
    expect(f.ratio).toBe(2.01);
    const g = throughputFigures(1000, 59_999.9, [span(500)], [span(1000)], [stage(10, 30, 10, 50)]);
    expect(g.pipeline_audit_rps).toBe(59_999);
    expect(checkTargets(figures({ ratio: f.ratio, pipeline_audit_rps: g.pipeline_audit_rps })).map((c) => c.pass).slice(0, 2)).toEqual([false, false]);
    expect(throughputFigures(1000, 1000, [span(1000)], [span(2000)], [stage(1, 1, 1, 1)]).ratio).toBe(2);
  });

  it('wall ratio is paired too; shares of the four stages sum to 1; detect over envelope + normalize; gzip apart', () => {
    const f = throughputFigures(1000, 900, [span(100, 90), span(100, 200)], [span(300, 180), span(300, 300)], [stage(20, 40, 15, 25, 50), stage(20, 40, 15, 25, 50)]);
    expect(f.wall.ratio).toBe(1.75); // median of 2 and 1.5
    expect(f.stage_share).toEqual({ envelope: 0.2, normalize: 0.4, detect: 0.15, serialize: 0.25 });
    expect(f.detect_overhead).toBe(0.25);
    expect(f.gzip_extra_share).toBe(0.5);
  });

  it('refuses runs that do not line up', () => {
    expect(() => throughputFigures(1, 1, [span(1)], [], [])).toThrow(/one floor, pipeline and stage measurement per run/);
  });

  it('worker figures: records per median main-thread and wall time', () => {
    const f = workerFigures(10_000, [{ wall: 400, main: 500, gzipBytes: 3 * 2 ** 20 }, { wall: 900, main: 1100, gzipBytes: 3 * 2 ** 20 }, { wall: 500, main: 520, gzipBytes: 3 * 2 ** 20 }]);
    expect(f.worker_main_rps).toBe(19_230); // 10,000 / 0.52 s, rounded down
    expect(f.worker_rps).toBe(20_000);
    expect(f.worker_upload_mb).toBe(3);
    expect(() => workerFigures(1, [])).toThrow(/no runs/);
  });
});

describe('the re-warm input', () => {
  it('is the first batches and exactly their bodies, in order', async () => {
    const { aksInput, leadingBatches } = await import('../scripts/bench/aksInput.js');
    const input = await aksInput(2_000, 3, 10);
    const warm = leadingBatches(input, 3);
    expect(warm.batches).toEqual(input.batches.slice(0, 3));
    expect(warm.bodies).toHaveLength(30);
    expect(warm.bodies.every((b, i) => b === input.bodies[i])).toBe(true);
  });
});

describe('reports', () => {
  const res = {
    machine: { nproc: 2, cpu: 'Test CPU', node: 'v20.0.0', memory_gb: 8, load_start: 0.5, load_end: 0.7, commit: 'abc1234' },
    runs: 3,
    input: { records: 2000, bodies: 100, records_per_body: 20, mb: 2.5, audit_share: 0.9, attack_share: 0.02, batch_bodies: 100, seed: 7 },
    floor_rps: 200_000,
    pipeline_rps: 80_000,
    pipeline_audit_rps: 72_000,
    ratio: 2.5,
    ratio_runs: [2.4, 2.5, 2.6],
    ratio_of_medians: 2.55,
    wall: { floor_rps: 210_000, pipeline_rps: 84_000, ratio: 2.5 },
    stage_share: { envelope: 0.25, normalize: 0.4, detect: 0.1, serialize: 0.25 },
    detect_overhead: 0.154,
    gzip_extra_share: 0.4,
    worker_main_rps: 95_000,
    worker_rps: 80_500,
    worker_partitions: 4,
    generator_lps: { syslog: 612_345 },
    generator_rss_mb: { syslog: 80.5 },
    rss_lines: 1_000_000,
    import_ms: 120.5,
    import_triggers_ms: { aksDiagnostics: 50.1 },
    node_flags: '--max-semi-space-size=64',
    errors: { imports: 'boom' },
  };
  const checks = checkTargets(figures({ ratio: 2.5, pipeline_audit_rps: 72_000, detect_overhead: 0.154, generator_lps: { syslog: 612_345 }, rss_1m_mb: 80.5, import_ms: 120.5 }));

  it('markdown: one row per figure, the verdict beside its target, errors kept', () => {
    const md = markdownReport(res, checks, false);
    expect(md).toContain('| Floor: JSON.parse of bodies and audit logs | 200,000 rec/s |  |  |');
    expect(md).toContain('| Pipeline / floor | 2.5 (median of 3 paired runs: 2.4, 2.5, 2.6; 2.55 from the medians above) | ≤ 2.0 (aim 1.5) | MISS |');
    expect(md).toContain('| Pipeline, audit records | 72,000 rec/s | ≥ 60,000 | PASS |');
    expect(md).toContain('| Generator syslog | 612,345 lines/s · 80.5 MB peak | ≥ 500,000 | PASS |');
    expect(md).toContain('| Worker: AKS handler + lander with gzip, 4 partitions at once, no storage | 95,000 rec/s of main-thread CPU (wall clock 80,500) |  |  |');
    expect(md).toContain('| Stage shares | envelope 25.0% · normalize 40.0% · detect 10.0% · serialize 25.0% |  |  |');
    expect(md).toContain('pipeline process on built JS with node --max-semi-space-size=64');
    expect(md).toContain('| Error (imports) | boom |');
  });

  it('text: every check on its own line with its verdict', () => {
    const text = textReport(res, checks, true);
    expect(text.split('\n')[0]).toMatch(/^KubeSift bench \(quick\) at abc1234 — 2 × Test CPU/);
    expect(text).toMatch(/^MISS\s+pipeline\/floor ratio\s+2\.5\s+target ≤ 2\.0/m);
    expect(text).toContain('ratio 2.5 (median of 3 paired runs: 2.4, 2.5, 2.6; 2.55 from the medians above) · wall ratio 2.5');
    expect(text).toMatch(/^PASS\s+generate syslog lines\/s\s+612,345/m);
    expect(text).toMatch(/^ERROR imports: boom$/m);
  });
});

describe('topFrames', () => {
  // root → run (functions/pipeline.js) → parse (functions/normalize/index.js); GC as its own leaf.
  const url = (p: string): string => `file:///repo/node_modules/.cache/kubesift-bench/dist/functions/${p}`;
  const prof: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 4] },
      { id: 2, callFrame: { functionName: 'run', url: url('pipeline.js'), lineNumber: 9 }, children: [3] },
      { id: 3, callFrame: { functionName: 'parse', url: url('normalize/index.js'), lineNumber: 65 } },
      { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
    ],
    startTime: 0,
    samples: [3, 3, 2, 4, 3, 2],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 5000],
  };

  it('self and inclusive shares over the sampled time; paths shortened to the repository', () => {
    const t = topFrames(prof);
    expect(t.sampled_ms).toBe(10);
    expect(t.self).toEqual([
      { frame: 'run functions/pipeline.js:10', share: 0.6 },
      { frame: 'parse functions/normalize/index.js:66', share: 0.3 },
      { frame: '(garbage collector)', share: 0.1 },
    ]);
    expect(t.total).toEqual([
      { frame: 'run functions/pipeline.js:10', share: 0.9 },
      { frame: 'parse functions/normalize/index.js:66', share: 0.3 },
    ]);
    expect(formatFrames(t)).toContain(' 60.0%  run functions/pipeline.js:10');
  });

  it('only samples inside the window count', () => {
    // Sample times: 1, 2, 3, 4, 5, 10 (ms in µs); the window keeps 2..4.
    const t = topFrames(prof, 20, { from: 2000, to: 4000 });
    expect(t.sampled_ms).toBe(3);
    expect(t.self.map((f) => [f.frame.split(' ')[0], +f.share.toFixed(3)])).toEqual([
      ['parse', 0.333],
      ['run', 0.333],
      ['(garbage', 0.333],
    ]);
  });
});

describe('npm run bench -- --json', () => {
  it('prints one JSON object with the figures the issue names, every record accounted for', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--quick', '--only', 'throughput', '--records', '2000', '--runs', '3', '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
      // Its own build folder (a bench running meanwhile keeps its files); no inherited V8 flags.
      env: { ...process.env, KUBESIFT_BENCH_BUILD: `kubesift-bench-test-${process.pid}`, NODE_OPTIONS: '' },
    });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Record<string, unknown> & { input: { records: number }; outcome: { records_counted: number; dead_letters: number }; wall: Record<string, number> };
    expect(res.errors).toEqual({});
    for (const key of ['floor_rps', 'pipeline_rps', 'ratio', 'pipeline_audit_rps', 'stage_share', 'detect_overhead', 'machine', 'targets']) expect(res, key).toHaveProperty(key);
    expect(res.floor_rps as number).toBeGreaterThan(0);
    const runs = res.ratio_runs as number[];
    expect(runs).toHaveLength(3);
    expect(res.ratio).toBe(Math.ceil(median(runs) * 100 - 1e-9) / 100);
    expect(res.ratio_of_medians).toBeCloseTo((res.floor_rps as number) / (res.pipeline_rps as number), 1);
    expect(Object.values(res.stage_share as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    expect(res.outcome.records_counted).toBe(res.input.records);
    expect(res.outcome.dead_letters).toBe(0);
    // The worker pass (AKS handler + lander) took every record too, where there is a thread clock (Linux).
    if (process.platform === 'linux') {
      expect(res.worker_records).toBe(res.input.records);
      expect(res.worker_main_rps as number).toBeGreaterThan(0);
      expect(res.worker_upload_mb as number).toBeGreaterThan(0);
    }
    // Batches as host.json cuts them unless --batch-bodies says otherwise.
    expect((res.input as { batch_bodies?: number }).batch_bodies).toBe(100);
    // The deployed worker's settings (local.settings.example.json) and the flag its app entry sets on itself.
    expect(res.node_flags).toBe('--max-semi-space-size=64 --no-allocation-site-pretenuring (set at start-up) MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456');
  }, 200_000);

  it('--batch-bodies takes a whole number of at least 1', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--only', 'throughput', '--batch-bodies', '0'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/batch-bodies/);
  }, 70_000);

  it('--from re-checks a saved result against the current targets', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-from-'));
    const file = path.join(dir, 'r.json');
    // A saved file whose stored verdicts say PASS for figures that miss today's targets.
    writeFileSync(file, JSON.stringify({ machine: { nproc: 2, cpu: 'x', node: 'v20', memory_gb: 1, load_start: 0, load_end: 0 }, quick: false, runs: 5, ratio: 2.5, import_ms: 350, errors: {}, targets: [{ name: 'pipeline/floor ratio', value: 2.5, target: '≤ 3', pass: true }] }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--from', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^MISS\s+pipeline\/floor ratio\s+2\.5\s+target ≤ 2\.0/m);
    expect(r.stdout).toMatch(/^MISS\s+app entry import \(ms\)\s+350/m);
  }, 70_000);

  afterAll(() => rmSync(path.join(path.resolve(import.meta.dirname, '..'), 'node_modules/.cache', `kubesift-bench-test-${process.pid}`), { recursive: true, force: true }));
});
