// In-memory AKS demo datasets for the local runner and tests: Event Hub bodies plus labels,
// byte-for-byte the same records the eventhub format streams (it is the same writer).
import { Writable } from 'node:stream';
import { labelsFile, resolveRequest, writeDataset, type Label } from './index.js';
import type { DiagnosticRecord } from './encoders/aks.js';
import { DatasetRequest } from './request.js';

export interface AksBodiesOptions {
  count: number;
  seed: number;
  /** ISO-8601 start of the synthetic clock (default 2024-01-01T00:00:00Z). */
  start?: string;
  end?: string;
  rate?: number;
  /** Scenario names, or ['all']. */
  scenarios?: string[];
  logType?: 'aks-audit' | 'aks-apiserver' | 'aks-diagnostics';
}

export interface AksBodies {
  /** Event Hub bodies, each {records:[...]} with up to RECORDS_PER_BODY records. */
  bodies: { records: DiagnosticRecord[] }[];
  labels: Label[];
}

/**
 * Generate a labelled AKS dataset as Event Hub bodies, for pushing through the pipeline.
 * Holds the whole dataset in memory: meant for demo-sized counts (the HTTP API streams).
 */
export async function generateAksBodies(opts: AksBodiesOptions): Promise<AksBodies> {
  const req = resolveRequest(
    DatasetRequest.parse({ logType: opts.logType ?? 'aks-audit', count: opts.count, seed: opts.seed, start: opts.start, end: opts.end, rate: opts.rate, scenarios: opts.scenarios ?? [], format: 'eventhub' }),
  );
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const summary = await writeDataset(req, sink);
  const bodies = Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { records: DiagnosticRecord[] });
  return { bodies, labels: labelsFile(req, summary).labels };
}
