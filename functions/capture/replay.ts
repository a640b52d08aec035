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
import { clockAt, withEnqueued } from '../eventhub/triggerMetadata.js';
import { errorText } from '../errorText.js';
import { captureTimeMs, readCapture, type CapturedEvent } from './avro.js';
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

type Process = (events: EventInput[], now: Date) => Iterable<EventChunk>;

/**
 * Which pipeline a hub's events go through (anything but the webhook hub carries AKS
 * bodies), landed in the chunks its trigger lands.
 */
function pipelineFor(hub: string, deps: ReplayDeps): Process {
  const { config, policy } = deps;
  return hub === config.KUBESIFT_WEBHOOK_HUB
    ? (events, now) => processWebhookChunks(events, { policy, now })
    : (events, now) => processEventChunks(events, { policy, now, defaultCluster: config.KUBESIFT_DEFAULT_CLUSTER });
}

/** The capture blob `data` names, or ReplayRefused when it is not one of ours (checked before any replay). */
export function captureBlobName(data: CaptureFileCreated, deps: Pick<ReplayDeps, 'blobs' | 'config'>): string {
  const container = deps.config.KUBESIFT_CAPTURE_CONTAINER;
  const name = blobNameIn(data.fileUrl, deps.blobs, container);
  if (!name) throw new ReplayRefused(`fileUrl is not a blob in container '${container}' of the configured storage account`);
  return name;
}

/**
 * captureBlobName, and the blob must exist: a CaptureFileCreated event for a file that is not
 * there (deleted since, or never written) cannot succeed on a retry, so it is refused (400:
 * Event Grid dead-letters it at once) rather than failed (500: retried for up to a day).
 */
export async function checkCaptureFile(data: CaptureFileCreated, deps: Pick<ReplayDeps, 'blobs' | 'config'>): Promise<string> {
  const name = captureBlobName(data, deps);
  if (!(await deps.blobs.getContainerClient(deps.config.KUBESIFT_CAPTURE_CONTAINER).getBlobClient(name).exists()))
    throw new ReplayRefused(`no blob '${name}' in container '${deps.config.KUBESIFT_CAPTURE_CONTAINER}'`);
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
  // The batch's clock, as the live trigger's batchClock: its latest enqueued time (a klog
  // line's year comes from it when its record has no time), else the wall clock.
  let latest = -Infinity;
  const flush = async (): Promise<void> => {
    if (!pending.length) return;
    for (const { events, result } of process(pending, clockAt(latest))) {
      const landed = await deps.lander.land(result, batchKey(events));
      report.batches++;
      report.records += result.summary.records;
      report.detections += result.detections.length;
      report.deadLetters += result.deadLetters.length;
      report.duplicatesSkipped += landed.duplicatesSkipped;
      addCounts(report.rows, landed.rows);
    }
    pending = [];
    latest = -Infinity;
  };
  let lastSequence = -1;
  const events = readCapture(download.readableStreamBody);
  try {
    for (;;) {
      // Only decoding is the file's fault: a landing that fails in flush is the sink's (a 500 all the same).
      let next: IteratorResult<CapturedEvent>;
      try {
        next = await events.next();
      } catch (err) {
        throw new CaptureUnreadable(`${report.blob}: cannot decode past event ${report.events}${lastSequence >= 0 ? ` (sequence number ${lastSequence})` : ''}: ${errorText(err)}`);
      }
      if (next.done) break;
      const ev = next.value;
      report.events++;
      lastSequence = ev.sequenceNumber;
      const enqueued = captureTimeMs(ev.enqueuedTimeUtc);
      if (enqueued > latest) latest = enqueued; // NaN never is
      pending.push({
        body: ev.body ?? '',
        position: { source: hubName, partitionId: data.partitionId, sequenceNumber: ev.sequenceNumber, offset: ev.offset, ...withEnqueued(enqueued) },
      });
      if (pending.length >= size) await flush();
    }
  } finally {
    // Stopped early (a landing failed, a record is no Capture record): release the download.
    await events.return(undefined);
  }
  // Avro ends quietly where a file or a download is cut: the count Capture announced tells.
  // The last batch is held back too, since a full read would cut it elsewhere, under another key.
  const short = shortOf(data, report.events, lastSequence);
  if (short) throw new CaptureUnreadable(`${report.blob}: holds ${short}: the file or its download is cut`);
  await flush();
  return report;
}

/**
 * A Capture file that ended before the events its CaptureFileCreated event announced, or
 * that Avro cannot decode. The batches before the damage have landed under their own keys,
 * so a retry (Event Grid retries a 500, then dead-letters the event) adds nothing twice.
 */
export class CaptureUnreadable extends Error {}

/** What is missing from a file that held `events` up to sequence number `last`, or ''. */
function shortOf(data: CaptureFileCreated, events: number, last: number): string {
  if (data.eventCount !== undefined && events < data.eventCount) return `${events} of the ${data.eventCount} events announced`;
  if (data.lastSequenceNumber !== undefined && last < data.lastSequenceNumber) return `events up to sequence number ${last}, not ${data.lastSequenceNumber}`;
  return '';
}
