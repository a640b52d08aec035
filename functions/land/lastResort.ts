// The trigger-side rule that closes the loop: a sink error is thrown so the host's retry
// policy redelivers the batch (not checkpointed); on the LAST retry the batch is written whole
// to the dead-letter container instead, and the invocation succeeds so the host can move on.
// If even the dead-letter write fails, the error propagates: nothing is acknowledged silently.
import type { InvocationContext } from '@azure/functions';
import { loadStorageConfig, type Config } from '../config.js';
import { addCounts, emptySummary, type BatchResult, type BatchSummary, type EventInput, type LandReport, type Lander } from '../contracts.js';
import { eventsFromTrigger } from '../eventhub/triggerMetadata.js';
import { batchKey, type EventChunk } from '../pipeline.js';
import { deadLetterBatch } from './deadLetters.js';
import { DEAD_LETTER_FAILURE, LandError } from './lander.js';
import { errorText } from '../errorText.js';

/** Shape of `InvocationContext.retryContext` (@azure/functions). */
export interface RetryState {
  retryCount: number;
  /** -1 = retry forever. */
  maxRetryCount: number;
}

export function isFinalAttempt(retry: RetryState | undefined): boolean {
  return retry !== undefined && retry.maxRetryCount >= 0 && retry.retryCount >= retry.maxRetryCount;
}

export type LandOutcome = { landed: LandReport } | { deadLettered: number; error: string };

export async function landOrDeadLetter(
  args: { config: Config; lander: Lander; result: BatchResult; batchKey: string; events: EventInput[]; retry: RetryState | undefined },
): Promise<LandOutcome> {
  try {
    return { landed: await args.lander.land(args.result, args.batchKey) };
  } catch (err) {
    return keepWholeOnFinalRetry(err, args.retry, args.config, args.events, args.batchKey, 'land-failed');
  }
}

/** Rethrows `err` before the final retry; on it, writes `events` whole to dead letters under `key`. */
async function keepWholeOnFinalRetry(err: unknown, retry: RetryState | undefined, config: Config, events: EventInput[], key: string, reason: string): Promise<{ deadLettered: number; error: string }> {
  if (!isFinalAttempt(retry)) throw err;
  const error = errorText(err);
  return { deadLettered: await deadLetterBatch(config, events, error, { reason, batchKey: key }), error };
}

/** What one chunk of a trigger batch became. */
export interface ChunkOutcome {
  batchKey: string;
  summary: BatchSummary;
  /** What the sink landed; null when the final retry dead-lettered the chunk instead. */
  land: LandReport | null;
  /** Event bodies written whole to the dead-letter container on the final retry. */
  deadLettered?: number;
}

/**
 * A trigger's batch, chunk by chunk, each landing under the key of its own bodies. A chunk
 * that cannot land:
 * - before the final retry: a sink failure is thrown at once (the host retries the batch;
 *   chunks that landed are skipped by their tags, and a failing sink would fail, or hang on,
 *   every later chunk too). When only its dead letters could not be written, its tables
 *   landed and the sink still works: the later chunks land, and the error is thrown after them.
 * - on the final retry: the chunk is written whole to dead letters and the next one goes on.
 *   After a sink failure the later chunks are written whole at once, without the sink: each
 *   would spend the lander's whole retry budget (4 × KUBESIFT_LAND_TIMEOUT_MS by default),
 *   and a batch of many chunks would outlast functionTimeout before its last one was kept.
 *   A chunk that cannot be kept either (dead-letter storage down) does not stop the chunks
 *   after it: its error is thrown once every chunk had its turn.
 * `processed` and `landed` log what a chunk became, before and after landing.
 */
export async function landChunks(
  chunks: Iterable<EventChunk>,
  args: {
    config: Config;
    lander: Lander;
    context: InvocationContext;
    label: string;
    /** The batch the chunks are cut from (in order): what is kept when processing throws. */
    events: readonly EventInput[];
    processed?: (key: string, chunk: EventChunk) => void;
    landed: (key: string, chunk: EventChunk, land: LandReport) => void;
  },
): Promise<ChunkOutcome[]> {
  const out: ChunkOutcome[] = [];
  const { context, label } = args;
  const final = isFinalAttempt(context.retryContext);
  /** Errors of chunks that neither landed nor were kept, thrown (the first) after the last chunk. */
  const unkept: unknown[] = [];
  /** Final retry: why the sink failed a chunk; the later chunks are then kept without it. */
  let sinkDown: string | undefined;
  /** Final retry: `events` written whole to dead letters under `key`, or the error added to unkept. */
  const keep = async (events: EventInput[], key: string, summary: BatchSummary, reason: string, error: string, what: string): Promise<void> => {
    try {
      const deadLettered = await deadLetterBatch(args.config, events, error, { reason, batchKey: key });
      context.error(`${label} ${key}: final retry ${what} (${error}); ${deadLettered} event(s) written whole to dead letters`);
      out.push({ batchKey: key, summary, land: null, deadLettered });
    } catch (err) {
      context.error(`${label} ${key}: final retry ${what} (${error}), and the dead-letter write failed too (${errorText(err)})`);
      unkept.push(err);
    }
  };
  const it = chunks[Symbol.iterator]();
  // Chunks are consecutive slices of the batch: the events of the chunks seen so far.
  let taken = 0;
  for (;;) {
    let next: IteratorResult<EventChunk>;
    try {
      next = it.next();
    } catch (err) {
      // The pure stages never throw on input; a bug that makes them throw must not cost the
      // batch either: on the final retry its bodies not yet landed are kept whole.
      if (!final) throw err;
      const rest = args.events.slice(taken);
      await keep(rest, batchKey(rest), emptySummary(), 'process-failed', errorText(err), 'could not process the batch');
      break;
    }
    if (next.done) break;
    const chunk = next.value;
    taken += chunk.events.length;
    const { events, result } = chunk;
    const key = batchKey(events);
    args.processed?.(key, chunk);
    if (sinkDown !== undefined) {
      await keep(events, key, result.summary, 'land-failed', sinkDown, 'did not try the sink again after it failed an earlier chunk');
      continue;
    }
    let landed: LandReport;
    try {
      landed = await args.lander.land(result, key);
    } catch (err) {
      const sinkFailed = !(err instanceof LandError) || err.failures.some((f) => f.table !== DEAD_LETTER_FAILURE);
      if (final) {
        if (sinkFailed) sinkDown = errorText(err);
        await keep(events, key, result.summary, 'land-failed', errorText(err), 'could not land');
        continue;
      }
      if (sinkFailed) throw err;
      context.warn(`${label} ${key}: ${errorText(err)}; the batch's later chunks still land, then it is retried`);
      unkept.push(err);
      continue;
    }
    args.landed(key, chunk, landed);
    out.push({ batchKey: key, summary: result.summary, land: landed });
  }
  if (unkept.length > 0) throw unkept[0];
  return out;
}

/** A batch's totals over its chunks (land null when any chunk was dead-lettered instead). */
export function chunkTotals(chunks: readonly ChunkOutcome[]): Omit<ChunkOutcome, 'batchKey'> {
  if (chunks.length === 1) return chunks[0]!;
  const summary = emptySummary();
  let land: LandReport | null = { rows: {}, deadLetters: 0, duplicatesSkipped: 0 };
  let deadLettered: number | undefined;
  for (const c of chunks) {
    const s = c.summary;
    summary.records += s.records;
    addCounts(summary.rows, s.rows);
    summary.detections += s.detections;
    summary.deadLetters += s.deadLetters;
    summary.duplicates += s.duplicates;
    if (c.deadLettered !== undefined) deadLettered = (deadLettered ?? 0) + c.deadLettered;
    if (land === null || c.land === null) land = null;
    else {
      addCounts(land.rows, c.land.rows);
      land.deadLetters += c.land.deadLetters;
      land.duplicatesSkipped += c.land.duplicatesSkipped;
    }
  }
  return deadLettered === undefined ? { summary, land } : { summary, land, deadLettered };
}

/**
 * For a trigger whose settings or policy do not load (they fail every attempt the same way):
 * rethrows before the final retry, so the host retries; on it, writes the messages whole to
 * dead letters (`settings-invalid`) with the settings given, else only the environment's
 * storage settings (the rest may be what failed), and logs it. Throws when even that fails:
 * nothing is acknowledged silently.
 */
export async function keepBatchOnFinalRetry(
  err: unknown,
  messages: unknown,
  context: InvocationContext,
  opts: { config?: Config; hub: 'KUBESIFT_AKS_HUB' | 'KUBESIFT_WEBHOOK_HUB'; label: string },
): Promise<{ batchKey: string; deadLettered: number }> {
  if (!isFinalAttempt(context.retryContext)) throw err;
  const cfg = opts.config ?? loadStorageConfig();
  const events = eventsFromTrigger(messages, context, cfg[opts.hub]);
  const key = batchKey(events);
  const error = errorText(err);
  const deadLettered = await deadLetterBatch(cfg, events, error, { reason: 'settings-invalid', batchKey: key });
  context.error(`${opts.label} ${key}: settings could not load on the final retry (${error}); ${deadLettered} event(s) written whole to dead letters`);
  return { batchKey: key, deadLettered };
}
