// A table sink moves one table's payload of one batch. Landers wrap sinks with dedupe,
// retry/backoff and dead letters; sinks only know their transport.
import type { TablePayload } from './payload.js';

export type PutOutcome = 'landed' | 'duplicate';

export interface TableSink {
  readonly kind: string;
  /**
   * Land one payload idempotently under its tag; 'duplicate' when the sink knows it already
   * landed. `landing` is the same for every attempt of one land() call: a sink that can see
   * which landing wrote what reports the write of an earlier, timed-out attempt as 'landed'.
   */
  put(p: TablePayload, batchKey: string, landing?: string): Promise<PutOutcome>;
  close?(): Promise<void> | void;
}

/** Split newline-delimited JSON at row boundaries into pieces of at most maxBytes (a single larger row stays whole). */
export function splitNdjson(ndjson: Buffer, maxBytes: number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  let lastCut = 0;
  for (let i = 0; i < ndjson.length; i++) {
    if (ndjson[i] !== 0x0a) continue;
    const end = i + 1;
    if (end - start > maxBytes && lastCut > start) {
      out.push(ndjson.subarray(start, lastCut));
      start = lastCut;
    }
    lastCut = end;
  }
  if (start < ndjson.length) out.push(ndjson.subarray(start));
  return out;
}
