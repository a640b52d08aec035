// Backfill: stream a Capture file's events back through the pipeline of the hub it was
// captured from, in Event Hub–sized batches, landing each batch idempotently. Positions are
// the original partition/sequence/offset, so a replay of events already processed live
// lands under the same keys and rows can be deduplicated. Damaged stretches of a file are
// kept as dead letters and reading goes on after them: every byte ends as a row, a
// detection or a dead letter, and a replay of the same file lands the same keys.
import { createHash } from 'node:crypto';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../config.js';
import { addCounts, emptySummary, type BatchResult, type DeadLetter, type EventInput, type Lander } from '../contracts.js';
import { bodyText } from '../envelope/index.js';
import { CAPTURE_BLOCK_UNREADABLE } from '../land/deadLetters.js';
import { batchKey, processEventChunks, slug, type EventChunk } from '../pipeline.js';
import type { Policy } from '../detect/index.js';
import { processWebhookChunks } from '../webhooks/process.js';
import { clockAt, withEnqueued } from '../eventhub/triggerMetadata.js';
import { errorText } from '../errorText.js';
import { CaptureUnreadable, captureTimeMs, readCaptureParts, type CapturedEvent, type CapturePart } from './avro.js';
import { DAMAGED_PIECE_BYTES } from './avroFrames.js';
import type { CaptureFileCreated } from './eventGrid.js';
import { blobNameIn } from './storage.js';

export { CaptureUnreadable };

export interface ReplayDeps {
  config: Config;
  blobs: BlobServiceClient;
  lander: Lander;
  policy: Policy;
  /** Events per pipeline batch (the trigger's maxEventBatchSize); default REPLAY_BATCH_EVENTS. */
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
  /** Bytes of the file that could not be read, kept as CAPTURE_BLOCK_UNREADABLE dead letters (counted in deadLetters). */
  unreadableBytes: number;
}

/** A capture event no retry can make good; `field`: the part of the event at fault. */
export class ReplayRefused extends Error {
  constructor(message: string, readonly field = 'data.fileUrl') {
    super(message);
  }
}

/** Capture's default blob name: {Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}.avro */
const DEFAULT_CAPTURE_NAME = /^[^/]+\/([^/]+)\/([^/]+)\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\.avro$/;

/**
 * The event must agree with the file's own name where Capture's default layout names the hub
 * and partition: rows are keyed by the event's partitionId, so a hand-written event with
 * another partition landed the whole file a second time (no key matched), and another hub in
 * the subject sent an AKS file down the webhook path. A custom name format is not checked.
 */
function checkCaptureNaming(data: CaptureFileCreated, subjectHub: string, name: string): void {
  const m = DEFAULT_CAPTURE_NAME.exec(name);
  if (!m) return;
  const [, hub, partition] = m;
  if (partition !== data.partitionId) throw new ReplayRefused(`'${data.partitionId}', but the file ${name} is partition ${partition}'s`, 'data.partitionId');
  if (subjectHub !== '' && subjectHub.toLowerCase() !== hub!.toLowerCase()) throw new ReplayRefused(`names event hub '${subjectHub}', but the file ${name} is hub ${hub}'s`, 'subject');
}

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
export async function checkCaptureFile(data: CaptureFileCreated, subjectHub: string, deps: Pick<ReplayDeps, 'blobs' | 'config'>): Promise<string> {
  const name = captureBlobName(data, deps);
  checkCaptureNaming(data, subjectHub, name);
  if (!(await deps.blobs.getContainerClient(deps.config.KUBESIFT_CAPTURE_CONTAINER).getBlobClient(name).exists()))
    throw new ReplayRefused(`no blob '${name}' in container '${deps.config.KUBESIFT_CAPTURE_CONTAINER}'`);
  return name;
}

/**
 * Events per replay batch when ReplayDeps.batchSize is not given: host.json's
 * maxEventBatchSize, so a replay batch holds what a live one holds. The pipeline's batch
 * record limit (1,000,000) is sized for 100 bodies: batches of 500 short-record bodies
 * passed it, and their last bodies were set aside as batch-record-limit dead letters.
 */
export const REPLAY_BATCH_EVENTS = 100;


/** How far a replay read, for telling a cut file from a whole one. */
interface ReadState {
  lastSequence: number;
  lastOffset: string;
  /** Some bytes were damaged (their events are not counted). */
  damaged: boolean;
  /** The last bytes read were damaged: the file's end is there, unreadable. */
  endsDamaged: boolean;
  tail: Extract<CapturePart, { kind: 'tail' }> | undefined;
}

/** One file's replay under way. */
interface Run {
  data: CaptureFileCreated;
  hub: string;
  lander: Lander;
  report: ReplayReport;
  read: ReadState;
  batches: Batches;
}

export async function replayCaptureFile(data: CaptureFileCreated, hub: string, deps: ReplayDeps): Promise<ReplayReport> {
  const container = deps.config.KUBESIFT_CAPTURE_CONTAINER;
  const name = captureBlobName(data, deps);
  // Default capture path: {Namespace}/{EventHub}/{PartitionId}/{Year}/...; subject wins when present.
  const hubName = hub || name.split('/')[1] || deps.config.KUBESIFT_AKS_HUB;
  const report: ReplayReport = { blob: `${container}/${name}`, hub: hubName, events: 0, batches: 0, records: 0, rows: {}, detections: 0, deadLetters: 0, duplicatesSkipped: 0, unreadableBytes: 0 };
  const download = await deps.blobs.getContainerClient(container).getBlobClient(name).download();
  if (!download.readableStreamBody) throw new Error(`empty download for ${report.blob}`);
  const run: Run = {
    data,
    hub: hubName,
    lander: deps.lander,
    report,
    read: { lastSequence: -1, lastOffset: '', damaged: false, endsDamaged: false, tail: undefined },
    batches: new Batches(pipelineFor(hubName, deps), deps.lander, report, deps.batchSize ?? REPLAY_BATCH_EVENTS),
  };
  const parts = readCaptureParts(download.readableStreamBody);
  try {
    for (let next = await nextPart(parts, run); !next.done; next = await nextPart(parts, run)) await takePart(next.value, run);
  } finally {
    // Stopped early (a landing failed): release the download.
    await parts.return(undefined);
  }
  // Avro ends quietly where a file or a download is cut: the count Capture announced tells.
  // The last batch is held back too, since a full read would cut it elsewhere, under another key.
  const short = shortOf(data, report.events, run.read);
  if (short) throw new CaptureUnreadable(`${report.blob}: holds ${short}: the file or its download is cut`, true);
  await run.batches.flush();
  // Nothing announced is missing: bytes after the last block are junk, kept as a dead letter.
  const tail = run.read.tail;
  if (tail) await landUnreadable({ ...tail, kind: 'damaged', reason: 'bytes after the last block that make no block' }, run);
  return report;
}

async function takePart(part: CapturePart, run: Run): Promise<void> {
  const { read, report } = run;
  read.endsDamaged = part.kind === 'damaged';
  if (part.kind === 'event') {
    const ev = part.event;
    report.events++;
    read.lastSequence = ev.sequenceNumber;
    read.lastOffset = ev.offset;
    await run.batches.add(ev, { source: run.hub, partitionId: run.data.partitionId, sequenceNumber: ev.sequenceNumber, offset: ev.offset });
  } else if (part.kind === 'damaged') {
    // Damage is where it is on every read: the batch is cut there the same way each time.
    read.damaged = true;
    await run.batches.flush();
    await landUnreadable(part, run);
  } else read.tail = part;
}

/** The next part of the file; an error reading it names the file and where. */
async function nextPart(parts: AsyncGenerator<CapturePart>, { report, read }: Run): Promise<IteratorResult<CapturePart>> {
  // Only reading is the file's fault: a landing that fails is the sink's (a 500 all the same).
  try {
    return await parts.next();
  } catch (err) {
    // A header that is no Capture header fails every time; a failed download may not.
    const retry = !(err instanceof CaptureUnreadable) || err.retry;
    const where = `${report.events}${read.lastSequence >= 0 ? ` (sequence number ${read.lastSequence})` : ''}`;
    throw new CaptureUnreadable(`${report.blob}: cannot decode past event ${where}: ${errorText(err)}`, retry);
  }
}

/** Events gathered into batches of `size`, each run through the hub's pipeline and landed in its chunks. */
class Batches {
  private pending: EventInput[] = [];
  // The batch's clock, as the live trigger's batchClock: its latest enqueued time (a klog
  // line's year comes from it when its record has no time), else the wall clock.
  private latest = -Infinity;

  constructor(
    private readonly process: Process,
    private readonly lander: Lander,
    private readonly report: ReplayReport,
    private readonly size: number,
  ) {}

  async add(ev: CapturedEvent, position: Omit<EventInput['position'], 'enqueuedTime'>): Promise<void> {
    const enqueued = captureTimeMs(ev.enqueuedTimeUtc);
    if (enqueued > this.latest) this.latest = enqueued; // NaN never is
    this.pending.push({ body: ev.body ?? '', position: { ...position, ...withEnqueued(enqueued) } });
    if (this.pending.length >= this.size) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.pending.length) return;
    const report = this.report;
    for (const { events, result } of this.process(this.pending, clockAt(this.latest))) {
      const landed = await this.lander.land(result, batchKey(events));
      report.batches++;
      report.records += result.summary.records;
      report.detections += result.detections.length;
      report.deadLetters += result.deadLetters.length;
      report.duplicatesSkipped += landed.duplicatesSkipped;
      addCounts(report.rows, landed.rows);
    }
    this.pending = [];
    this.latest = -Infinity;
  }
}

type Unreadable = Extract<CapturePart, { kind: 'damaged' }>;

/**
 * Keeps a damaged stretch of the file as dead letters (reason CAPTURE_BLOCK_UNREADABLE), one
 * per DAMAGED_PIECE_BYTES, each landed under a key of the file and the bytes' place in it,
 * so a second replay of the file writes none of them again. Position: the capture's hub and
 * partition, and the last event read before the damage (sequence number -1: none).
 */
async function landUnreadable(part: Unreadable, run: Run): Promise<void> {
  const { data, hub, read, report } = run;
  const after = read.lastSequence >= 0 ? `after sequence number ${read.lastSequence}` : 'before the first event';
  for (let from = 0; from < part.bytes.length; from += DAMAGED_PIECE_BYTES) {
    const bytes = part.bytes.subarray(from, from + DAMAGED_PIECE_BYTES);
    const at = part.at + from;
    const letter: DeadLetter = {
      reason: CAPTURE_BLOCK_UNREADABLE,
      detail: `${report.blob}: bytes ${at}-${at + bytes.length - 1} of the file, ${after}: ${part.reason}`,
      position: { source: hub, partitionId: data.partitionId, sequenceNumber: read.lastSequence, offset: read.lastOffset, index: -1 },
      ...bodyText(bytes),
    };
    const result: BatchResult = { rows: { AksAudit: [], AksControlPlane: [] }, detections: [], deadLetters: [letter], summary: { ...emptySummary(), deadLetters: 1 } };
    const landed = await run.lander.land(result, unreadableKey(report.blob, hub, data.partitionId, at, bytes.length));
    report.deadLetters++;
    report.unreadableBytes += bytes.length;
    report.duplicatesSkipped += landed.duplicatesSkipped;
  }
}

/** The batch key of a dead letter of damaged bytes: the file and their place in it. */
function unreadableKey(blob: string, hub: string, partitionId: string, at: number, bytes: number): string {
  const hash = createHash('sha256').update(`${blob}\u0000${at}\u0000${bytes}`).digest('hex').slice(0, 16);
  return `${slug(hub)}-${slug(partitionId)}-unreadable-${at}-${hash}`;
}

/** What is missing from a file that held `events` read up to `read`, or ''. */
function shortOf(data: CaptureFileCreated, events: number, read: ReadState): string {
  // The events of damaged bytes are not counted: with damage only the last sequence number tells.
  if (!read.damaged && data.eventCount !== undefined && events < data.eventCount) return `${events} of the ${data.eventCount} events announced`;
  // A file whose last bytes are damaged ends there: nothing is missing that a retry could bring.
  if (!read.endsDamaged && data.lastSequenceNumber !== undefined && read.lastSequence < data.lastSequenceNumber)
    return `events up to sequence number ${read.lastSequence}, not ${data.lastSequenceNumber}`;
  return '';
}
