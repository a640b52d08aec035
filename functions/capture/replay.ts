// Backfill: stream a Capture file's events back through the pipeline of the hub it was
// captured from, in Event Hub–sized batches, landing each batch idempotently. Positions are
// the original partition/sequence/offset, so a replay of events already processed live
// lands under the same keys and rows can be deduplicated.
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../config.js';
import { addCounts, type EventInput, type Lander } from '../contracts.js';
import { batchKey, processEventChunks, type EventChunk } from '../pipeline.js';
import type { Policy } from '../detect/index.js';
import { processWebhookChunks } from '../webhooks/process.js';
import { readCapture } from './avro.js';
import type { CaptureFileCreated } from './eventGrid.js';
import { blobNameIn } from './storage.js';

export interface ReplayDeps {
  config: Config;
  blobs: BlobServiceClient;
  lander: Lander;
  policy: Policy;
  /** Events per pipeline batch (the trigger's maxEventBatchSize). */
  batchSize?: number;
}

export interface ReplayReport {
  blob: string;
  hub: string;
  events: number;
  batches: number;
  records: number;
  rows: Record<string, number>;
  detections: number;
  deadLetters: number;
  duplicatesSkipped: number;
}

export class ReplayRefused extends Error {}

type Process = (events: EventInput[]) => Iterable<EventChunk>;

/**
 * Which pipeline a hub's events go through (anything but the webhook hub carries AKS
 * bodies), landed in the chunks its trigger lands.
 */
function pipelineFor(hub: string, deps: ReplayDeps): Process {
  const { config, policy } = deps;
  return hub === config.KUBESIFT_WEBHOOK_HUB
    ? (events) => processWebhookChunks(events, { policy })
    : (events) => processEventChunks(events, { policy, defaultCluster: config.KUBESIFT_DEFAULT_CLUSTER });
}

/** The capture blob `data` names, or ReplayRefused when it is not one of ours (checked before any replay). */
export function captureBlobName(data: CaptureFileCreated, deps: Pick<ReplayDeps, 'blobs' | 'config'>): string {
  const container = deps.config.KUBESIFT_CAPTURE_CONTAINER;
  const name = blobNameIn(data.fileUrl, deps.blobs, container);
  if (!name) throw new ReplayRefused(`fileUrl is not a blob in container '${container}' of the configured storage account`);
  return name;
}

export async function replayCaptureFile(data: CaptureFileCreated, hub: string, deps: ReplayDeps): Promise<ReplayReport> {
  const container = deps.config.KUBESIFT_CAPTURE_CONTAINER;
  const name = captureBlobName(data, deps);
  // Default capture path: {Namespace}/{EventHub}/{PartitionId}/{Year}/...; subject wins when present.
  const hubName = hub || name.split('/')[1] || deps.config.KUBESIFT_AKS_HUB;
  const process = pipelineFor(hubName, deps);
  const report: ReplayReport = { blob: `${container}/${name}`, hub: hubName, events: 0, batches: 0, records: 0, rows: {}, detections: 0, deadLetters: 0, duplicatesSkipped: 0 };

  const download = await deps.blobs.getContainerClient(container).getBlobClient(name).download();
  if (!download.readableStreamBody) throw new Error(`empty download for ${report.blob}`);
  const size = deps.batchSize ?? 500;
  let pending: EventInput[] = [];
  const flush = async (): Promise<void> => {
    if (!pending.length) return;
    for (const { events, result } of process(pending)) {
      const landed = await deps.lander.land(result, batchKey(events));
      report.batches++;
      report.records += result.summary.records;
      report.detections += result.detections.length;
      report.deadLetters += result.deadLetters.length;
      report.duplicatesSkipped += landed.duplicatesSkipped;
      addCounts(report.rows, landed.rows);
    }
    pending = [];
  };
  for await (const ev of readCapture(download.readableStreamBody)) {
    report.events++;
    pending.push({
      body: ev.body ?? '',
      position: { source: hubName, partitionId: data.partitionId, sequenceNumber: ev.sequenceNumber, offset: ev.offset },
    });
    if (pending.length >= size) await flush();
  }
  await flush();
  return report;
}
