// The pure pipeline: envelope → normalize → dedupe → detect. The Event Hub function, the
// webhook path, the local runner and `sift process` all call processEvents; only landing
// (functions/land) differs.
import { createHash } from 'node:crypto';
import { DEDUPED_ROWS, type AksAuditRow, type BatchResult, type DeadLetter, type Detection, type EventInput, type NormalizedRows } from './contracts.js';
import { detect, type Policy } from './detect/index.js';
import { DEFAULT_MAX_BODY_BYTES, deadLetterBody, unwrapEvent, type EnvelopeOptions, type EnvelopeSink } from './envelope/index.js';
import { mapKey } from './mapKey.js';
import { auditIdentity, IDENTITY_EXACT, IDENTITY_URI } from './normalize/audit.js';
import { ContinuationContext, normalizeRecord, type NormalizeSink, type SourcedRecord } from './normalize/index.js';

export interface PipelineOptions {
  policy: Policy;
  /** Detection clock (windows, inactivity); defaults to the wall clock. */
  now?: Date;
  /** Cluster for events without a resourceId (webhooks); default 'unknown'. */
  defaultCluster?: string;
  /** Bodies above this many bytes are dead-lettered whole; default 4 MiB. */
  maxBodyBytes?: number;
  /** What a body may hold (EnvelopeOptions.accept); default 'any'. */
  accept?: EnvelopeOptions['accept'];
  /**
   * Once a batch holds this many items, its remaining bodies are dead-lettered whole; default
   * DEFAULT_MAX_BATCH_RECORDS, or DEFAULT_MAX_CHUNKED_BATCH_RECORDS where the batch lands in chunks.
   */
  maxBatchRecords?: number;
}

/**
 * Items (records, events) a batch processed whole (processEvents: webhook message parts,
 * replay re-runs) may open before the rest of its bodies are set aside. All its rows are alive
 * at once: 1 MB bodies of tiny records hold ~24,000 each, and 100 of them would take the
 * worker past its memory. The bodies set aside are dead-lettered whole with their bytes
 * ('batch-record-limit') and replay on their own.
 */
export const DEFAULT_MAX_BATCH_RECORDS = 100_000;

/**
 * The same limit for a batch that lands in chunks (processEventChunks: the AKS trigger,
 * capture replay, `sift replay`). Its memory is one chunk's, so the limit only bounds its
 * time. A busy cluster's full batch is well past 100,000: 100 bodies of 1 MB of kube-apiserver
 * lines (~600 bytes a record) hold ~170,000 records, and the whole-batch limit set 40 of those
 * bodies aside in every such batch (docs/ingest.md). 100 bodies at the 4 MiB body limit hold
 * up to ~700,000 such records; a million small audit events take ~14 s of CPU.
 */
export const DEFAULT_MAX_CHUNKED_BATCH_RECORDS = 1_000_000;

/**
 * Run one batch through the pure stages. Never throws on bad input: every item ends as a
 * row, a detection or a dead letter. `summary.records` counts input items: records and
 * events found in bodies, plus one per body that could not be opened at all.
 */
export function processEvents(events: readonly EventInput[], opts: PipelineOptions): BatchResult {
  return wholeBatch(processEventChunks(events, opts, Infinity));
}

/**
 * Records after which the Event Hub trigger closes a chunk: it lands what it holds before
 * opening more bodies. A batch keeps its rows alive until they land, and past ~4,000-6,000
 * records that live set no longer fits the worker's 64 MB young generation: every scavenge
 * copies and promotes it, and CPU per record rises ~1.5x (docs/performance.md, eighth
 * round). A batch of 100 bodies of ~20 records (AKS's usual) stays one chunk.
 */
export const DEFAULT_CHUNK_RECORDS = 4_000;

/** One chunk: the bodies it opened (in batch order) and what they became. */
export interface EventChunk {
  events: EventInput[];
  result: BatchResult;
}

/**
 * Cuts a batch into chunks, the one rule for every pipeline: `take` adds one body to the
 * chunk being built and returns how many items it held; after the body that brings the
 * chunk to `chunkRecords` items, and after the last body, `finish` turns what was taken into
 * the chunk's result and starts the next. Boundaries depend only on the bodies. Yields at
 * least one chunk (an empty batch gives one).
 */
export function* cutChunks(
  events: readonly EventInput[],
  chunkRecords: number,
  take: (ev: EventInput) => number,
  finish: (items: number, firstEvent: EventInput | undefined) => BatchResult,
): Generator<EventChunk> {
  let first = 0;
  let items = 0;
  for (let i = 0; i < events.length; i++) {
    items += take(events[i]!);
    if (items >= chunkRecords && i + 1 < events.length) {
      yield { events: events.slice(first, i + 1), result: finish(items, events[first]) };
      first = i + 1;
      items = 0;
    }
  }
  yield { events: events.slice(first), result: finish(items, events[first]) };
}

/** The result of a batch cut with no limit: its one chunk's. */
export function wholeBatch(chunks: Iterable<EventChunk>): BatchResult {
  let only: BatchResult | undefined;
  for (const chunk of chunks) only = chunk.result;
  return only!;
}

/**
 * processEvents, closing a chunk after the body that brings it to `chunkRecords` items:
 * each chunk is deduped and detected on its own, so its rows can land and die before the next
 * chunk is opened. Chunk boundaries depend only on the bodies, so a redelivered batch splits
 * the same way (same chunk keys, no doubled rows). Yields at least one chunk (an empty batch
 * gives one empty result). The batch record limit (DEFAULT_MAX_CHUNKED_BATCH_RECORDS unless
 * given) counts across chunks.
 */
export function* processEventChunks(events: readonly EventInput[], opts: PipelineOptions, chunkRecords = DEFAULT_CHUNK_RECORDS): Generator<EventChunk> {
  const now = opts.now ?? new Date();
  const envOpts = { defaultCluster: opts.defaultCluster ?? 'unknown', maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, accept: opts.accept ?? 'any' };
  const normOpts = { clock: now };
  // Normalization state (klog continuation severity per pod) carries across chunks.
  const ctx = new ContinuationContext();
  const maxItems = opts.maxBatchRecords ?? (chunkRecords === Infinity ? DEFAULT_MAX_BATCH_RECORDS : DEFAULT_MAX_CHUNKED_BATCH_RECORDS);
  const records: SourcedRecord[] = [];
  let total = 0;
  // A chunk's sinks: the envelope and normalize write its dead letters into one list.
  const chunkSinks = (): { out: NormalizeSink; env: EnvelopeSink } => {
    const deadLetters: DeadLetter[] = [];
    return { out: { AksAudit: [], AksControlPlane: [], deadLetters }, env: { records, deadLetters } };
  };
  let { out, env } = chunkSinks();
  // Body by body: a body's parsed records die as soon as its rows exist, instead of the
  // whole batch's staying alive (and being copied by every young-generation GC) until all
  // bodies are opened. Rows come out in the same order either way.
  const take = (ev: EventInput): number => {
    let n: number;
    if (total >= maxItems) {
      n = deadLetterBody(ev, env, 'batch-record-limit', `the batch already holds ${total} records (limit ${maxItems}); this body was not opened: replay it on its own`);
    } else {
      n = unwrapEvent(ev, env, envOpts);
      for (let k = 0; k < records.length; k++) normalizeRecord(records[k]!, out, ctx, normOpts);
      records.length = 0;
    }
    total += n;
    return n;
  };
  const finish = (items: number, firstEvent: EventInput | undefined): BatchResult => {
    const result = finishChunk(out, items, opts.policy, now, firstEvent);
    ({ out, env } = chunkSinks());
    return result;
  };
  yield* cutChunks(events, chunkRecords, take, finish);
}

/** Dedupe and detect one chunk's rows. */
function finishChunk(out: NormalizeSink, items: number, policy: Policy, now: Date, firstEvent: EventInput | undefined): BatchResult {
  const deadLetters = out.deadLetters;
  const rows = { AksAudit: dedupeAudit(out.AksAudit), AksControlPlane: out.AksControlPlane };
  DEDUPED_ROWS.add(rows.AksAudit);
  const detections = runDetect(rows, policy, now, firstEvent, deadLetters);
  return {
    rows,
    detections,
    deadLetters,
    summary: {
      records: items,
      rows: { AksAudit: rows.AksAudit.length, AksControlPlane: rows.AksControlPlane.length, Detections: detections.length },
      detections: detections.length,
      deadLetters: deadLetters.length,
      duplicates: out.AksAudit.length - rows.AksAudit.length,
    },
  };
}

/** The reason of the dead letter runDetect writes. */
export const DETECT_ERROR = 'detect-error';

/**
 * A detector bug must not cost the rows: they still land, and a dead letter (index -1, no
 * raw) says detection did not run for this batch. It holds no data: `sift replay` passes over
 * it, and its position names the batch to look at.
 */
function runDetect(rows: NormalizedRows, policy: Policy, now: Date, firstEvent: EventInput | undefined, deadLetters: DeadLetter[]): Detection[] {
  try {
    return detect(rows, policy, now);
  } catch (err) {
    const p = firstEvent?.position ?? { source: 'unknown', partitionId: '', sequenceNumber: -1, offset: '' };
    deadLetters.push({ reason: DETECT_ERROR, detail: err instanceof Error ? err.message : String(err), position: { ...p, index: -1 }, raw: '' });
    return [];
  }
}

/**
 * Collapse repeats of one audit event (at-least-once delivery repeats events; AKS can send an
 * event under kube-audit and kube-audit-admin). Keeps the first complete row, preferring it
 * over a truncated salvage. Rows without an auditID are kept as they are.
 *
 * The auditID alone does not identify an event: kube-apiserver takes a client's `Audit-ID`
 * header as it is, so a client can give its request the ID of another one in the same batch.
 * Two rows are one event only when their auditIdentity agrees too (a field a truncated
 * salvage lacks does not count against it), so a borrowed ID can neither hide a request nor
 * drop someone else's.
 */
export function dedupeAudit(rows: AksAuditRow[]): AksAuditRow[] {
  // First row per auditID, keyed by the id alone (no key string built per row). Only an id
  // seen again builds event keys; a truncated row is matched against its id's rows (bounded).
  const first = new Map<string, number>();
  // A stream's second stage (ResponseStarted, then ResponseComplete: watches, logs, exec) is
  // its own event under the same id; the row after the first whose stage differs is kept here
  // without building keys, as a complete row of another stage can never be a repeat of it.
  const second = new Map<string, number>();
  let byEvent: Map<string, number> | undefined;
  let byId: Map<string, number[]> | undefined;
  const out: AksAuditRow[] = [];
  const remember = (id: string, at: number): void => {
    byEvent!.set(eventKey(out[at]!), at);
    let list = byId!.get(id);
    if (!list) byId!.set(id, (list = []));
    if (list.length < MAX_SCAN) list.push(at);
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    // auditID is the client's Audit-ID header when it sent one: any length (see mapKey).
    const id = mapKey(row.AuditId);
    if (id === '') {
      out.push(row);
      continue;
    }
    const at = first.get(id);
    if (at === undefined) {
      first.set(id, out.length);
      out.push(row);
      continue;
    }
    if (!row.Truncated && !out[at]!.Truncated && row.Stage !== out[at]!.Stage && !second.has(id) && !byId?.has(id)) {
      second.set(id, out.length);
      out.push(row);
      continue;
    }
    if (!byEvent) {
      byEvent = new Map();
      byId = new Map();
    }
    if (!byId!.has(id)) {
      remember(id, at);
      const other = second.get(id);
      if (other !== undefined) remember(id, other);
    }
    let dup = byEvent.get(eventKey(row));
    // A truncated salvage (this row or a kept one) lacks fields the key holds: match it loosely.
    if (dup === undefined) dup = byId!.get(id)!.find((k) => (row.Truncated || out[k]!.Truncated) && sameEvent(out[k]!, row));
    if (dup === undefined) {
      out.push(row);
      remember(id, out.length - 1);
      continue;
    }
    if (out[dup]!.Truncated && !row.Truncated) {
      out[dup] = row;
      // The complete row's key: a later exact copy must find it (the salvage's key lacks fields).
      byEvent.set(eventKey(row), dup);
    }
  }
  return out.length === rows.length ? rows : out;
}

/** Rows of one auditID a truncated row is compared with: a borrowed ID repeated 100,000 times stays linear. */
const MAX_SCAN = 16;

const eventKey = (r: AksAuditRow): string => mapKey([r.AuditId, ...auditIdentity(r)].join('\u0000'));

/**
 * Same event, counting a loose field only where both rows have it (a truncated salvage lacks
 * the tail). A salvage cut inside its URI keeps the URI's head: that matches the whole URI.
 */
function sameEvent(a: AksAuditRow, b: AksAuditRow): boolean {
  const y = auditIdentity(b);
  return auditIdentity(a).every((x, i) => {
    const v = y[i]!;
    if (x === v || (i >= IDENTITY_EXACT && (!x || !v))) return true;
    return i === IDENTITY_URI && ((a.Truncated && v.startsWith(x)) || (b.Truncated && x.startsWith(v)));
  });
}

const SAFE = /[^A-Za-z0-9_.-]/g;
/** A part of a batch key: characters blob names and ingestion tags carry, at most 64. */
export const slug = (s: string): string => s.replace(SAFE, '_').slice(0, 64) || '_';

/**
 * Stable idempotency key for a batch, from its positions and enqueued times: the same events
 * redelivered give the same key. `<source>-<partition>-<firstSeq>-<lastSeq>-<hash of every
 * position>`, safe for blob names and ingestion tags. The enqueued time keeps apart batches
 * at one position in two lives of a hub (deleted and created again: sequence numbers start
 * at 0) or in two namespaces' hubs of one name; a position without one (files, dead letters
 * written before it was recorded) hashes as before, so their keys do not change.
 */
export function batchKey(events: readonly EventInput[]): string {
  if (events.length === 0) return 'empty';
  const hash = createHash('sha256');
  let min = Infinity;
  let max = -Infinity;
  const first = events[0]!.position;
  let partition = first.partitionId;
  let source = first.source;
  for (const e of events) {
    const p = e.position;
    // A replayed record's index in its body: the letters of one body share the rest.
    hash.update(`${p.source}\u0000${p.partitionId}\u0000${p.sequenceNumber}\u0000${p.offset}${e.firstIndex ? `\u0000${e.firstIndex}` : ''}${p.enqueuedTime ? `\u0001${p.enqueuedTime}` : ''}\n`);
    if (p.sequenceNumber < min) min = p.sequenceNumber;
    if (p.sequenceNumber > max) max = p.sequenceNumber;
    if (p.partitionId !== partition) partition = 'multi';
    if (p.source !== source) source = 'multi';
  }
  return `${slug(source)}-${slug(partition)}-${min}-${max}-${hash.digest('hex').slice(0, 16)}`;
}

/** The first and last sequence numbers a batchKey names (`…-<first>-<last>-<hash>`). */
export function batchKeyRange(key: string): [first: number, last: number] | undefined {
  const m = /-(-?\d+)-(-?\d+)-[0-9a-f]{16}$/.exec(key);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
