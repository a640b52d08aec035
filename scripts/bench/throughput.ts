// Floor vs pipeline on the same Event Hub bodies.
//   floor:    JSON.parse of every body and of every audit properties.log string — the work
//             no implementation can skip.
//   pipeline: processEventChunks (envelope → normalize → dedupe → detect, full default policy)
//             per trigger batch as the trigger runs it, then the landing serializer
//             (land/payload tablePayloads: per-table dedupe + newline-delimited JSON, the
//             bytes a sink uploads) per chunk. gzip is timed on its own: it is zlib's cost,
//             not ours, and the floor has no counterpart for it (bench/worker.ts runs the
//             handler and lander with it).
// A third, instrumented pass times each stage separately to give their shares.
import { DEDUPED_ROWS, emptySummary, type DeadLetter, type EventInput } from '../../functions/contracts.js';
import { detect, type Policy } from '../../functions/detect/index.js';
import { DEFAULT_MAX_BODY_BYTES, unwrapEvent, type EnvelopeSink } from '../../functions/envelope/index.js';
import { gzip, tablePayloads } from '../../functions/land/payload.js';
import { ContinuationContext, normalizeRecord, type NormalizeSink, type SourcedRecord } from '../../functions/normalize/index.js';
import { batchKey, dedupeAudit, processEventChunks } from '../../functions/pipeline.js';
import type { AksInput } from './aksInput.js';
import { cpuMs, nowMs, spanSince, type Span } from './stats.js';

/** Anything the measured code returns feeds this, so no work can be optimized away. */
let sink = 0;
export const checksum = (): number => sink;

interface AuditHolder {
  records: { category: string; properties: { log: string } }[];
}

export function runFloor(input: Pick<AksInput, 'bodies'>): Span {
  const t0 = nowMs();
  const c0 = cpuMs();
  let n = 0;
  for (const buf of input.bodies) {
    const body = JSON.parse(buf.toString('utf8')) as AuditHolder;
    const recs = body.records;
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!;
      if (r.category.startsWith('kube-audit')) n += (JSON.parse(r.properties.log) as { stage?: string }).stage ? 1 : 0;
    }
  }
  sink += n;
  return spanSince(t0, c0);
}

/** The detection clock: data time, fixed, so every run does identical work. */
const NOW = new Date('2025-01-01T00:00:00Z');

export function runPipeline(input: Pick<AksInput, 'batches'>, policy: Policy): { span: Span; records: number; detections: number; deadLetters: number } {
  let records = 0;
  let detections = 0;
  let deadLetters = 0;
  const t0 = nowMs();
  const c0 = cpuMs();
  for (const batch of input.batches) {
    // As the trigger does: chunk by chunk (one chunk for a batch of usual size), each serialized
    // for landing before the next is opened.
    for (const { events, result } of processEventChunks(batch, { policy, now: NOW })) {
      const { payloads } = tablePayloads(result, batchKey(events));
      for (const p of payloads) sink += p.ndjson.length;
      records += result.summary.records;
      detections += result.detections.length;
      deadLetters += result.deadLetters.length;
    }
  }
  return { span: spanSince(t0, c0), records, detections, deadLetters };
}

export interface StageTimes {
  envelope: number;
  normalize: number;
  detect: number;
  serialize: number;
  /** Not part of the pipeline figure (see top of file). */
  gzip: number;
}

/**
 * The stages of processEvents called one by one (same functions, same order: envelope and
 * normalize body by body, then dedupe, detect) with a CPU clock between them, then the
 * landing serializer. Only for shares: the pipeline figure comes from runPipeline.
 */
export function runStages(input: Pick<AksInput, 'batches'>, policy: Policy): StageTimes {
  const t: StageTimes = { envelope: 0, normalize: 0, detect: 0, serialize: 0, gzip: 0 };
  const envOpts = { defaultCluster: 'unknown', maxBodyBytes: DEFAULT_MAX_BODY_BYTES };
  const normOpts = { clock: NOW };
  for (const batch of input.batches) {
    const deadLetters: DeadLetter[] = [];
    const records: SourcedRecord[] = [];
    const env: EnvelopeSink = { records, deadLetters };
    const out: NormalizeSink = { AksAudit: [], AksControlPlane: [], deadLetters };
    const ctx = new ContinuationContext();
    for (let i = 0; i < batch.length; i++) {
      const a = cpuMs();
      unwrapEvent(batch[i] as EventInput, env, envOpts);
      const b = cpuMs();
      for (let k = 0; k < records.length; k++) normalizeRecord(records[k]!, out, ctx, normOpts);
      records.length = 0;
      t.envelope += b - a;
      t.normalize += cpuMs() - b;
    }
    const b = cpuMs();
    const rows = { AksAudit: dedupeAudit(out.AksAudit), AksControlPlane: out.AksControlPlane };
    // As processEvents does: landing then skips a second dedupe of these rows.
    DEDUPED_ROWS.add(rows.AksAudit);
    const c = cpuMs();
    const dets = detect(rows, policy, NOW);
    const d = cpuMs();
    const result = { rows, detections: dets, deadLetters, summary: { ...emptySummary(), detections: dets.length, deadLetters: deadLetters.length } };
    const { payloads } = tablePayloads(result, batchKey(batch));
    const e = cpuMs();
    for (const p of payloads) sink += gzip(p.ndjson).length;
    const f = cpuMs();
    t.normalize += c - b;
    t.detect += d - c;
    t.serialize += e - d;
    t.gzip += f - e;
  }
  return t;
}
