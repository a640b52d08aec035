// Re-drives dead letters through the pipeline and a lander. Whole-batch dead letters
// (kind 'event') are regrouped by their original batch key and landed under that key, so
// tables that did land before the failure are skipped by their idempotency tag; each blob is
// marked replayed (metadata) only after its batch landed, so a second replay skips it.
import type { ContainerClient } from '@azure/storage-blob';
import type { EventInput, Lander } from '../contracts.js';
import type { Policy } from '../detect/index.js';
import { processEvents } from '../pipeline.js';
import { eachLimited, REPLAYED_METADATA, UPLOADS_IN_FLIGHT, type DeadLetterBlob } from './deadLetters.js';
import { errorText } from './lander.js';

export interface ReplayOptions {
  lander: Lander;
  policy: Policy;
  /** Blob name prefix, e.g. `2025/01/02/`. */
  prefix?: string;
  dryRun?: boolean;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface ReplayReport {
  blobs: number;
  alreadyReplayed: number;
  batches: number;
  replayedBlobs: number;
  failedBatches: number;
  records: number;
  rows: number;
  deadLettersAgain: number;
}

interface Group {
  key: string;
  blobs: string[];
  events: EventInput[];
}

function toEvent(doc: DeadLetterBlob): EventInput {
  const { source, partitionId, sequenceNumber, offset } = doc.position;
  return { body: doc.rawBase64 ? Buffer.from(doc.rawBase64, 'base64') : doc.raw, position: { source, partitionId, sequenceNumber, offset } };
}

export async function replayDeadLetters(container: ContainerClient, opts: ReplayOptions): Promise<ReplayReport> {
  const report: ReplayReport = { blobs: 0, alreadyReplayed: 0, batches: 0, replayedBlobs: 0, failedBatches: 0, records: 0, rows: 0, deadLettersAgain: 0 };
  const groups = new Map<string, Group>();
  for await (const item of container.listBlobsFlat({ includeMetadata: true, ...(opts.prefix ? { prefix: opts.prefix } : {}) })) {
    if (!item.name.endsWith('.json')) continue;
    report.blobs++;
    if (item.metadata?.[REPLAYED_METADATA]) {
      report.alreadyReplayed++;
      continue;
    }
    const doc = JSON.parse((await container.getBlobClient(item.name).downloadToBuffer()).toString('utf8')) as DeadLetterBlob;
    // Record-level dead letters land under a derived key: their original batch already landed.
    const key = doc.kind === 'event' ? doc.batchKey : `${doc.batchKey}.replay`;
    const g = groups.get(key) ?? { key, blobs: [], events: [] };
    g.blobs.push(item.name);
    g.events.push(toEvent(doc));
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    report.batches++;
    const result = processEvents(g.events, { policy: opts.policy, ...(opts.now ? { now: opts.now() } : {}) });
    report.records += result.summary.records;
    if (opts.dryRun) continue;
    try {
      const land = await opts.lander.land(result, g.key);
      report.rows += Object.values(land.rows).reduce<number>((a, b) => a + (b ?? 0), 0);
      report.deadLettersAgain += land.deadLetters;
      const at = (opts.now?.() ?? new Date()).toISOString();
      await eachLimited(g.blobs, UPLOADS_IN_FLIGHT, (name) => container.getBlobClient(name).setMetadata({ [REPLAYED_METADATA]: at }));
      report.replayedBlobs += g.blobs.length;
    } catch (err) {
      report.failedBatches++;
      opts.log?.(`replay ${g.key}: ${errorText(err)}`);
    }
  }
  return report;
}
