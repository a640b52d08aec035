// A Lander wrapper that remembers what went through it, so the local runner can print a
// summary (records, rows, dead letters, detections) of exactly what the handlers landed.
import { appendAll } from '../../functions/arrays.js';
import { addCounts, type BatchResult, type Detection, type LandOptions, type LandReport, type Lander } from '../../functions/contracts.js';

export interface Totals {
  /** Calls to land: one per chunk, so one per trigger batch unless a batch was past ~4,000 records. */
  landings: number;
  records: number;
  rows: Record<string, number>;
  landed: Record<string, number>;
  deadLetters: number;
  /** Audit records dropped as repeats of an event in the same batch (summary.duplicates). */
  repeats: number;
  duplicatesSkipped: number;
  detections: Detection[];
  deadLetterReasons: Record<string, number>;
}

export const emptyTotals = (): Totals => ({
  landings: 0, records: 0, rows: {}, landed: {}, deadLetters: 0, repeats: 0, duplicatesSkipped: 0, detections: [], deadLetterReasons: {},
});

export class RecordingLander implements Lander {
  totals = emptyTotals();
  constructor(private readonly inner: Lander) {}
  get kind(): string {
    return this.inner.kind;
  }
  /** Start a fresh tally (e.g. before the demo) and return the previous one. */
  reset(): Totals {
    const t = this.totals;
    this.totals = emptyTotals();
    return t;
  }
  async land(result: BatchResult, batchKey: string, opts?: LandOptions): Promise<LandReport> {
    const report = await this.inner.land(result, batchKey, opts);
    const t = this.totals;
    t.landings++;
    t.records += result.summary.records;
    addCounts(t.rows, result.summary.rows);
    addCounts(t.landed, report.rows);
    t.deadLetters += result.deadLetters.length;
    t.repeats += result.summary.duplicates;
    for (const d of result.deadLetters) t.deadLetterReasons[d.reason] = (t.deadLetterReasons[d.reason] ?? 0) + 1;
    t.duplicatesSkipped += report.duplicatesSkipped;
    appendAll(t.detections, result.detections);
    return report;
  }
}
