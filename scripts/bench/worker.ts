// The AKS trigger as a deployed worker runs it, for what the pipeline figure leaves out: the
// handler (trigger metadata, chunks, log lines) and the real lander (payloads, tags, retry
// wrapper, gzip) over PARTITIONS partitions at once (the host hands each partition's batches
// over in order, and several partitions' concurrently), into a sink that drops the compressed
// bytes. No storage: its latency is the network's, and Azurite on the same two cores would
// blur the clock. Timed on the wall clock (what one instance takes in) and on the main
// thread's own CPU clock (one JS thread bounds a worker; GC helper threads do not count).
import { readFileSync } from 'node:fs';
import functions from '@azure/functions';
import { loadConfig } from '../../functions/config.js';
import type { EventInput } from '../../functions/contracts.js';
import type { Policy } from '../../functions/detect/index.js';
import type { DeadLetterStore } from '../../functions/land/deadLetters.js';
import { makeLander } from '../../functions/land/lander.js';
import { gzip } from '../../functions/land/payload.js';
import type { TableSink } from '../../functions/land/sink.js';
import { handleAksBatch } from '../../functions/triggers/aksDiagnostics.js';
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

let compressedBytes = 0;

/** Compresses as the blob and queued sinks do, then drops the bytes. */
const compressingSink: TableSink = {
  kind: 'blob',
  put: async (p) => {
    compressedBytes += gzip(p.ndjson).length;
    return 'landed';
  },
};

function context(partitionId: string, firstSeq: number, n: number): functions.InvocationContext {
  const seqs = Array.from({ length: n }, (_, i) => firstSeq + i);
  const offsets = seqs.map((s) => String(s * 1024));
  const enqueued = seqs.map(() => '2024-03-04T06:00:00.000Z');
  return new functions.InvocationContext({
    functionName: 'aksDiagnostics',
    logHandler: () => undefined,
    triggerMetadata: {
      partitionContext: { eventHubName: 'aks-diagnostics', consumerGroup: 'kubesift', fullyQualifiedNamespace: 'bench', partitionId },
      sequenceNumberArray: seqs,
      offsetArray: offsets,
      enqueuedTimeUtcArray: enqueued,
      systemPropertiesArray: seqs.map((s, i) => ({ sequenceNumber: s, offset: offsets[i], enqueuedTimeUtc: enqueued[i], partitionKey: null })),
    },
    options: { trigger: { type: 'eventHubTrigger', name: 'messages', eventHubName: 'aks-diagnostics', cardinality: 'many', dataType: 'binary' } },
  });
}

/** The input's batches dealt round-robin to PARTITIONS partitions, landed concurrently. Null without a thread clock. */
export async function runWorker(input: Pick<AksInput, 'batches'>, policy: Policy): Promise<WorkerSpan | null> {
  const lander = makeLander(compressingSink, noDeadLetters, { retries: 0, baseMs: 1, timeoutMs: 60_000 });
  const partitions: EventInput[][][] = Array.from({ length: PARTITIONS }, () => []);
  input.batches.forEach((b, i) => partitions[i % PARTITIONS]!.push(b as EventInput[]));
  const main0 = threadCpuMs();
  if (main0 === null) return null;
  compressedBytes = 0;
  const t0 = nowMs();
  let records = 0;
  await Promise.all(
    partitions.map(async (batches, p) => {
      let seq = 0;
      for (const batch of batches) {
        const out = await handleAksBatch(batch.map((e) => e.body), context(String(p), seq, batch.length), { lander, policy, config: settings });
        records += out.summary.records; // after the await: partitions interleave
        seq += batch.length;
      }
    }),
  );
  return { wall: nowMs() - t0, main: threadCpuMs()! - main0, gzipBytes: compressedBytes, records };
}
