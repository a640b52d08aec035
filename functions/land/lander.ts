// A Lander = a table sink + in-batch dedupe + retry with backoff + dead letters. Tables land
// independently (one failing table does not stop the others); if any still fails after the
// retries, land() throws so the Event Hub trigger redelivers the batch, and the tables that
// did land are skipped on redelivery by their idempotency tag.
import { randomUUID } from 'node:crypto';
import type { BatchResult, LandOptions, LandReport, Lander } from '../contracts.js';
import type { DeadLetterStore } from './deadLetters.js';
import { errorText } from '../errorText.js';
import { tablePayloads } from './payload.js';
import { withRetry, type RetryOptions } from './retry.js';
import type { TableSink } from './sink.js';

export interface ClosableLander extends Lander {
  close(): Promise<void>;
}

/** The failure LandError lists when the batch's dead letters could not be written (its tables may have landed). */
export const DEAD_LETTER_FAILURE = 'deadletter';

export class LandError extends Error {
  constructor(
    readonly batchKey: string,
    readonly failures: { table: string; error: unknown }[],
    readonly partial: LandReport,
  ) {
    super(`batch ${batchKey}: could not land ${failures.map((f) => `${f.table} (${errorText(f.error)})`).join(', ')}`);
    this.name = 'LandError';
  }
}

export function makeLander(sink: TableSink, deadLetters: DeadLetterStore, retry: RetryOptions): ClosableLander {
  return {
    kind: sink.kind,
    async land(result: BatchResult, batchKey: string, opts: LandOptions = {}): Promise<LandReport> {
      const { payloads, duplicates } = tablePayloads(result, batchKey);
      const report: LandReport = { rows: {}, deadLetters: 0, duplicatesSkipped: duplicates };
      const landing = randomUUID();
      const settled = await Promise.allSettled(payloads.map((p) => withRetry(() => sink.put(p, batchKey, landing), retry)));
      const failures: { table: string; error: unknown }[] = [];
      settled.forEach((s, i) => {
        const p = payloads[i]!;
        if (s.status === 'rejected') failures.push({ table: p.table, error: s.reason });
        else if (s.value === 'duplicate') {
          report.rows[p.table] = 0;
          report.duplicatesSkipped += p.rows;
        } else report.rows[p.table] = p.rows;
      });
      try {
        report.deadLetters = await withRetry(() => deadLetters.writeRecords(batchKey, result.deadLetters, opts.deadLetterDay), retry);
      } catch (error) {
        failures.push({ table: DEAD_LETTER_FAILURE, error });
      }
      if (failures.length > 0) throw new LandError(batchKey, failures, report);
      return report;
    },
    close: async () => {
      await sink.close?.();
    },
  };
}
