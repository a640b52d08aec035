// The throughput section's arithmetic, apart from the measuring so it can be tested on
// hand-made spans. Figures are rounded for the report on the side that never turns a miss
// into a pass: rates down, ratios and costs up (a ratio of 2.001 reports 2.01, not 2.0).
import { median, type Span } from './stats.js';

const up = (x: number, digits: number): number => Math.ceil(x * 10 ** digits - 1e-9) / 10 ** digits;
const perSecond = (n: number, ms: number): number => Math.floor(n / (ms / 1000));

export interface StageMs {
  envelope: number;
  normalize: number;
  detect: number;
  serialize: number;
  gzip: number;
}

export interface ThroughputFigures {
  floor_rps: number;
  pipeline_rps: number;
  /** Median of the per-run pipeline/floor CPU ratios: each run pairs the two passes, so load that hits one run hits both sides of its ratio. */
  ratio: number;
  ratio_runs: number[];
  /** floor_rps / pipeline_rps: medians of each side taken apart (may come from different runs). */
  ratio_of_medians: number;
  pipeline_audit_rps: number;
  wall: { floor_rps: number; pipeline_rps: number; ratio: number };
  stage_ms: StageMs;
  stage_share: { envelope: number; normalize: number; detect: number; serialize: number };
  /** detect / (envelope + normalize); dedupe is timed with normalize. */
  detect_overhead: number;
  /** zlib's CPU (on whichever thread) over the four stages' CPU. */
  gzip_extra_share: number;
}

/** Runs are index-aligned: floor[i], pipeline[i] and stages[i] come from run i. */
export function throughputFigures(records: number, auditRecords: number, floor: readonly Span[], pipeline: readonly Span[], stages: readonly StageMs[]): ThroughputFigures {
  if (floor.length === 0 || floor.length !== pipeline.length || floor.length !== stages.length) throw new Error('throughputFigures: one floor, pipeline and stage measurement per run');
  const cpu = (xs: readonly Span[]): number => median(xs.map((x) => x.cpu));
  const wall = (xs: readonly Span[]): number => median(xs.map((x) => x.wall));
  const ratioRuns = floor.map((f, i) => pipeline[i]!.cpu / f.cpu);
  const st = Object.fromEntries((['envelope', 'normalize', 'detect', 'serialize', 'gzip'] as const).map((k) => [k, median(stages.map((s) => s[k]))])) as unknown as StageMs;
  const piped = st.envelope + st.normalize + st.detect + st.serialize;
  const share = (v: number): number => Math.round((v / piped) * 1000) / 1000;
  return {
    floor_rps: perSecond(records, cpu(floor)),
    pipeline_rps: perSecond(records, cpu(pipeline)),
    ratio: up(median(ratioRuns), 2),
    ratio_runs: ratioRuns.map((r) => up(r, 3)),
    ratio_of_medians: up(cpu(pipeline) / cpu(floor), 2),
    pipeline_audit_rps: perSecond(auditRecords, cpu(pipeline)),
    wall: { floor_rps: perSecond(records, wall(floor)), pipeline_rps: perSecond(records, wall(pipeline)), ratio: up(median(floor.map((f, i) => pipeline[i]!.wall / f.wall)), 2) },
    stage_ms: Object.fromEntries(Object.entries(st).map(([k, v]) => [k, Math.round(v * 10) / 10])) as unknown as StageMs,
    stage_share: { envelope: share(st.envelope), normalize: share(st.normalize), detect: share(st.detect), serialize: share(st.serialize) },
    detect_overhead: up(st.detect / (st.envelope + st.normalize), 3),
    gzip_extra_share: share(st.gzip),
  };
}

export interface WorkerFigures {
  /** Records per main-thread CPU-second through the AKS handler and lander (bench/worker.ts). */
  worker_main_rps: number;
  /** Records per wall-second, its partitions landing at once. */
  worker_rps: number;
  /** What its sinks would upload (gzip), MB per pass. */
  worker_upload_mb: number;
}

export function workerFigures(records: number, runs: readonly { wall: number; main: number; gzipBytes: number }[]): WorkerFigures {
  if (runs.length === 0) throw new Error('workerFigures: no runs');
  return {
    worker_main_rps: perSecond(records, median(runs.map((s) => s.main))),
    worker_rps: perSecond(records, median(runs.map((s) => s.wall))),
    worker_upload_mb: Math.round(runs[0]!.gzipBytes / 2 ** 20 * 10) / 10,
  };
}
