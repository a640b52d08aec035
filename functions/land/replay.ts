// Re-drives dead letters through the pipeline and a lander. Whole-batch dead letters
// (kind 'event') are regrouped by their original batch key and landed under that key, so
// tables that did land before the failure are skipped by their idempotency tag; each blob is
// marked replayed (metadata) only after its batch landed, so a second replay skips it.
// Record-level dead letters land under `<original key>.replay` (one suffix however often they
// are replayed). A record that fails again for the same reason is left out of the landing: its
// blob already holds it, and whatever it gave in its first batch (a truncated audit record's
// salvaged row) landed then. Replays therefore converge instead of landing that row again and
// writing a new dead letter on every run. Dead letters a group's landing writes go in the day
// folder of its blobs, so a replay days later finds the ones written before (If-None-Match).
//
// Dead letters of the webhook hub go back through the webhook pipeline: whole messages as they
// are, and a single audit event or runtime alert inside a hub message again, with its sender
// and cluster (webhooks/process.ts messageForDeadLetter), so it lands as that cluster's. A
// group larger than one chunk lands in the triggers' chunks (pipeline.ts processEventChunks),
// each under the key its trigger would give it.
import type { ContainerClient } from '@azure/storage-blob';
import type { EventInput, Lander } from '../contracts.js';
import type { Policy } from '../detect/index.js';
import { batchKey, DETECT_ERROR, processEventChunks, wholeBatch } from '../pipeline.js';
import { messageForDeadLetter, processWebhookChunks } from '../webhooks/process.js';
import { dayOfName, deadLetterFileSchema, eachLimited, lettersOf, REPLAYED_METADATA, UPLOADS_IN_FLIGHT, type DeadLetterBlob } from './deadLetters.js';
import { describeZodError } from '../envelope/schema.js';
import { errorText } from '../errorText.js';

export interface ReplayOptions {
  lander: Lander;
  policy: Policy;
  /** Blob name prefix, e.g. `2025/01/02/`. */
  prefix?: string;
  dryRun?: boolean;
  now?: () => Date;
  log?: (line: string) => void;
  /**
   * The webhook hub's name (KUBESIFT_WEBHOOK_HUB): whole-event dead letters from it are
   * webhook hub messages. Without it every dead letter is replayed as AKS input.
   */
  webhookHub?: string;
  /**
   * Cluster for AKS-hub items that name none (KUBESIFT_DEFAULT_CLUSTER, as the trigger
   * uses); default 'unknown'. Webhook records carry their own (DeadLetter.cluster).
   */
  defaultCluster?: string;
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
  /**
   * `.json` blobs that are not dead letters (not JSON, or not the shape DeadLetterStore
   * writes): named in the log, left unmarked, and the rest replayed without them.
   */
  unreadable: number;
}

interface Group {
  key: string;
  kind: DeadLetterBlob['kind'];
  /** Each blob's events, with the number its name ends in (`event-<n>`, `records-<first>`). */
  parts: { blob: string; n: number; events: EventInput[] }[];
  /** failureKey of each record-level dead letter in the group. */
  failures: Set<string>;
  /**
   * The earliest day folder of its blobs: dead letters its landing writes go there (as the
   * trigger's folderDay would put them), not under the day of the replay.
   */
  day?: Date;
}

/** The number a dead-letter blob's name ends in: its place in the batch. */
const blobNumber = (name: string): number => Number(/-(\d+)\.json$/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);

/**
 * The group's events in the batch's order. A listing sorts names as text (`event-10` before
 * `event-2`); chunks cut from that order would differ from the trigger's and land under
 * keys it never used, so tables that had landed would land again.
 */
function groupEvents(g: Group): EventInput[] {
  return g.parts.sort((a, b) => a.n - b.n || (a.blob < b.blob ? -1 : a.blob > b.blob ? 1 : 0)).flatMap((p) => p.events);
}

/** `webhook`: the dead letter came from the webhook hub; a record of it goes back in a hub message. */
function toEvent(doc: DeadLetterBlob, webhook: boolean): EventInput {
  const { source, partitionId, sequenceNumber, offset } = doc.position;
  const body = (webhook && doc.kind === 'record' ? messageForDeadLetter(doc, doc.writtenAt) : undefined) ?? (doc.rawBase64 ? Buffer.from(doc.rawBase64, 'base64') : doc.raw);
  const index = 'index' in doc.position ? doc.position.index : 0;
  return { body, position: { source, partitionId, sequenceNumber, offset }, ...(doc.kind === 'record' && index > 0 ? { firstIndex: index } : {}) };
}

/** The dead letters a blob holds (a pack's one by one), or why it holds none. */
function readDeadLetters(text: string): DeadLetterBlob[] | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  const parsed = deadLetterFileSchema.safeParse(json);
  return parsed.success ? lettersOf(parsed.data) : describeZodError(parsed.error);
}

const REPLAY_SUFFIX = '.replay';
/** `<key>.replay` for a record-level dead letter, also when `key` came from a replay already. */
export function replayKey(batchKey: string): string {
  let base = batchKey;
  while (base.endsWith(REPLAY_SUFFIX)) base = base.slice(0, -REPLAY_SUFFIX.length);
  return base + REPLAY_SUFFIX;
}

/** A record's place: source, partition, sequence number and index in its body. */
const placeKey = (p: DeadLetterBlob['position']): string => `${p.source}\u0000${p.partitionId}\u0000${p.sequenceNumber}\u0000${'index' in p ? p.index : 0}`;
/** A record's place and failure: the same record failing the same way on replay. */
const failureKey = (p: DeadLetterBlob['position'], reason: string): string => `${placeKey(p)}\u0000${reason}`;

export async function replayDeadLetters(container: ContainerClient, opts: ReplayOptions): Promise<ReplayReport> {
  const report: ReplayReport = { blobs: 0, alreadyReplayed: 0, batches: 0, replayedBlobs: 0, failedBatches: 0, records: 0, rows: 0, deadLettersAgain: 0, unreadable: 0 };
  const groups = new Map<string, Group>();
  const fromHub = (source: string): boolean => opts.webhookHub !== undefined && source === opts.webhookHub;
  for await (const item of container.listBlobsFlat({ includeMetadata: true, ...(opts.prefix ? { prefix: opts.prefix } : {}) })) {
    if (!item.name.endsWith('.json')) continue;
    report.blobs++;
    if (item.metadata?.[REPLAYED_METADATA]) {
      report.alreadyReplayed++;
      continue;
    }
    let docs: DeadLetterBlob[] | string;
    try {
      docs = readDeadLetters((await container.getBlobClient(item.name).downloadToBuffer()).toString('utf8'));
    } catch (err) {
      // A blob too large to read as text, or a download that failed: this blob waits, the others replay.
      docs = `cannot read it: ${errorText(err)}`;
    }
    if (typeof docs === 'string') {
      report.unreadable++;
      opts.log?.(`replay: ${item.name}: not a dead letter (${docs}); left as it is`);
      continue;
    }
    // A blob's dead letters share its kind and batch key (a pack holds them once), so the
    // blob joins one group. Record-level dead letters land under a derived key: their
    // original batch already landed.
    const { kind, batchKey: original } = docs[0]!;
    const key = kind === 'event' ? original : replayKey(original);
    const g = groups.get(key) ?? { key, kind, parts: [], failures: new Set<string>() };
    const events: EventInput[] = [];
    for (const doc of docs) {
      // The note runDetect leaves when a detector throws (index -1): no data.
      if (doc.reason === DETECT_ERROR && 'index' in doc.position && doc.position.index === -1) {
        opts.log?.(`replay: ${item.name}: detection did not run for batch ${doc.batchKey} (${doc.detail.slice(0, 200)}); nothing to replay for it`);
        continue;
      }
      events.push(toEvent(doc, fromHub(doc.position.source)));
      if (kind === 'record') g.failures.add(failureKey(doc.position, doc.reason));
    }
    g.parts.push({ blob: item.name, n: blobNumber(item.name), events });
    const day = dayOfName(item.name);
    if (day && !(g.day && g.day <= day)) g.day = day;
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    report.batches++;
    const pipelineOpts = { policy: opts.policy, ...(opts.now ? { now: opts.now() } : {}), ...(opts.defaultCluster ? { defaultCluster: opts.defaultCluster } : {}) };
    const all = groupEvents(g);
    // The pipeline the group's hub feeds; a whole batch is one chunk of no limit.
    const cut = fromHub(all[0]?.position.source ?? '') ? processWebhookChunks : processEventChunks;
    let landed = true;
    for (const chunk of cut(all, pipelineOpts)) {
      // A chunk of the whole group keeps the group's key; smaller ones get the keys their trigger gives them.
      const key = chunk.events.length === all.length ? g.key : g.kind === 'event' ? batchKey(chunk.events) : replayKey(batchKey(chunk.events));
      let result = chunk.result;
      report.records += result.summary.records;
      // Records failing the same way again: counted, and the chunk processed without them.
      const again = new Set(result.deadLetters.filter((d) => g.failures.has(failureKey(d.position, d.reason))).map((d) => placeKey(d.position)));
      if (again.size > 0) {
        const rest = chunk.events.filter((e) => !again.has(placeKey({ ...e.position, index: e.firstIndex ?? 0 })));
        result = wholeBatch(cut(rest, pipelineOpts, Infinity));
      }
      if (opts.dryRun) continue;
      try {
        const land = await opts.lander.land(result, key, g.day ? { deadLetterDay: g.day } : {});
        report.rows += Object.values(land.rows).reduce<number>((a, b) => a + (b ?? 0), 0);
        report.deadLettersAgain += land.deadLetters + again.size;
      } catch (err) {
        landed = false;
        opts.log?.(`replay ${key}: ${errorText(err)}`);
      }
    }
    if (opts.dryRun) continue;
    // A group that did not land whole stays unmarked: its chunks that did are skipped by
    // their tags on the next replay.
    if (!landed) {
      report.failedBatches++;
      continue;
    }
    try {
      const at = (opts.now?.() ?? new Date()).toISOString();
      await eachLimited(g.parts, UPLOADS_IN_FLIGHT, ({ blob }) => container.getBlobClient(blob).setMetadata({ [REPLAYED_METADATA]: at }));
      report.replayedBlobs += g.parts.length;
    } catch (err) {
      report.failedBatches++;
      opts.log?.(`replay ${g.key}: ${errorText(err)}`);
    }
  }
  return report;
}
