// The benchmark input: AKS diagnostic Event Hub bodies from the project's own generator
// (format `eventhub`, one {"records":[...]} body per line), kept as Buffers the way the
// binary Event Hub trigger delivers them, cut into trigger-sized batches.
import { Writable } from 'node:stream';
import type { EventInput } from '../../functions/contracts.js';
import { DatasetRequest, resolveRequest, writeDataset } from '../../functions/generate/index.js';

export interface AksInput {
  bodies: Buffer[];
  /** Trigger batches (host.json maxEventBatchSize bodies each). */
  batches: EventInput[][];
  records: number;
  auditRecords: number;
  bytes: number;
  /** Share of records injected by attack scenarios (ground-truth labels). */
  attackShare: number;
  recordsPerBody: number;
}

/** Collects generator output and cuts it into one Buffer per line. */
class LineCollector extends Writable {
  readonly lines: Buffer[] = [];
  private rest = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    const text = this.rest + chunk.toString('utf8');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      if (nl > start) this.lines.push(Buffer.from(text.slice(start, nl), 'utf8'));
      start = nl + 1;
    }
    this.rest = text.slice(start);
    cb();
  }
  finish(): void {
    if (this.rest.trim() !== '') this.lines.push(Buffer.from(this.rest, 'utf8'));
    this.rest = '';
  }
}

export async function aksInput(records: number, seed: number, batchSize: number): Promise<AksInput> {
  const req = resolveRequest(DatasetRequest.parse({ logType: 'aks-diagnostics', format: 'eventhub', count: records, seed, scenarios: ['all'] }));
  const sink = new LineCollector();
  const summary = await writeDataset(req, sink);
  sink.finish();
  const bodies = sink.lines;
  let total = 0;
  let audit = 0;
  let bytes = 0;
  // One parse here, outside any timing, only to describe the mix.
  for (const b of bodies) {
    bytes += b.length;
    const v = JSON.parse(b.toString('utf8')) as { records: { category: string }[] };
    total += v.records.length;
    for (const r of v.records) if (r.category.startsWith('kube-audit')) audit++;
  }
  let attack = 0;
  for (const l of summary.labels) attack += l.recordIds.length;
  const events: EventInput[] = bodies.map((body, i) => ({ body, position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: i, offset: String(i * 1024) } }));
  const batches: EventInput[][] = [];
  for (let i = 0; i < events.length; i += batchSize) batches.push(events.slice(i, i + batchSize));
  return { bodies, batches, records: total, auditRecords: audit, bytes, attackShare: attack / total, recordsPerBody: total / bodies.length };
}
