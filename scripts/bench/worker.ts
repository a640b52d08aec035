// The AKS trigger as a deployed worker runs it, for what the pipeline figure leaves out: the
// handler (trigger metadata, chunks, log lines) and the real lander (payloads, tags, retry
// wrapper, gzip) over PARTITIONS partitions at once (the host hands each partition's batches
// over in order, and several partitions' concurrently), into a sink that drops the compressed
// bytes. No storage: its latency is the network's, and Azurite on the same two cores would
// blur the clock. Timed on the wall clock (what one instance takes in) and on the main
// thread's own CPU clock (one JS thread bounds a worker; GC helper threads do not count).
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../functions/config.js';
import type { EventInput } from '../../functions/contracts.js';
import type { Policy } from '../../functions/detect/index.js';
import type { DeadLetterStore } from '../../functions/land/deadLetters.js';
import { makeLander } from '../../functions/land/lander.js';
import { gzip } from '../../functions/land/payload.js';
import type { TableSink } from '../../functions/land/sink.js';
import { handleAksBatch } from '../../functions/triggers/aksDiagnostics.js';
import { eventHubTriggers } from '../../functions/triggers/registry.js';
import { eventHubContext } from '../local/hubBus.js';
import type { AksInput } from './aksInput.js';
import { nowMs } from './stats.js';

/** Partitions landing at once: a worker that owns a few partitions of a busy hub. */
export const PARTITIONS = 4;

/** CPU milliseconds of the calling thread (Linux schedstat, ns), or null where there is none. */
export function threadCpuMs(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

export interface WorkerSpan {
  wall: number;
  /** Main-thread CPU ms. */
  main: number;
  /** What the sinks would have uploaded. */
  gzipBytes: number;
  /** Records the handler counted (summary.records over its batches), to check against the input. */
  records: number;
}

const settings = loadConfig({ KUBESIFT_SINK: 'blob', KUBESIFT_STORAGE_CONNECTION: 'UseDevelopmentStorage=true' });
const noDeadLetters = { writeRecords: async (_key: string, letters: readonly unknown[]) => letters.length } as unknown as DeadLetterStore;

/** A sink that compresses as the blob and queued sinks do, then drops the bytes, counting them. */
function compressingSink(): TableSink & { bytes: number } {
  const sink = {
    kind: 'blob',
    bytes: 0,
    put: async (p: { ndjson: Buffer }) => {
      sink.bytes += gzip(p.ndjson).length;
      return 'landed' as const;
    },
  };
  return sink;
}

/** Every batch's enqueued time, fixed: the detection clock (batchClock) is the same in every run. */
const ENQUEUED = '2024-03-04T06:00:00.000Z';

/** The input's batches dealt round-robin to PARTITIONS partitions, landed concurrently. Null without a thread clock. */
export async function runWorker(input: Pick<AksInput, 'batches'>, policy: Policy): Promise<WorkerSpan | null> {
  const sink = compressingSink();
  const lander = makeLander(sink, noDeadLetters, { retries: 0, baseMs: 1, timeoutMs: 60_000 });
  const def = eventHubTriggers.find((d) => d.name === 'aksDiagnostics')!;
  const partitions: EventInput[][][] = Array.from({ length: PARTITIONS }, () => []);
  input.batches.forEach((b, i) => partitions[i % PARTITIONS]!.push(b as EventInput[]));
  const main0 = threadCpuMs();
  if (main0 === null) return null;
  const t0 = nowMs();
  let records = 0;
  await Promise.all(
    partitions.map(async (batches, p) => {
      let seq = 0;
      for (const batch of batches) {
        const seqs = batch.map((_, i) => seq + i);
        const context = eventHubContext(def, settings.KUBESIFT_AKS_HUB, String(p), seqs, ENQUEUED, () => undefined);
        const out = await handleAksBatch(batch.map((e) => e.body), context, { lander, policy, config: settings });
        records += out.summary.records; // after the await: partitions interleave
        seq += batch.length;
      }
    }),
  );
  return { wall: nowMs() - t0, main: threadCpuMs()! - main0, gzipBytes: sink.bytes, records };
}
