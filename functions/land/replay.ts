// Re-drives dead letters through the pipeline and a lander. Whole-batch dead letters
// (kind 'event') are regrouped by their original batch key and landed under that key, so
// tables that did land before the failure are skipped by their idempotency tag; each blob is
// marked replayed (metadata) only after its batch landed, so a second replay skips it.
// A whole batch lands only when the blobs read are all of it (its key hashes every body's
// position). Record-level dead letters land under `<key of their records>.replay` (one suffix
// however often they are replayed). A record that fails again for the same reason is left
// out of the landing: its blob already holds it, and whatever it gave in its first batch (a
// truncated audit record's salvaged row) landed then. Replays therefore converge instead of
// landing that row again and writing a new dead letter on every run. Dead letters a group's
// landing writes go in the day folder of its blobs, so a replay days later finds the ones
// written before (If-None-Match).
//
// Dead letters of the webhook hub go back through the webhook pipeline: whole messages as they
// are, and a single audit event or runtime alert inside a hub message again, with its sender
// and cluster (webhooks/process.ts messageForDeadLetter), so it lands as that cluster's. A
// group larger than one chunk lands in the triggers' chunks (pipeline.ts processEventChunks),
// each under the key its trigger would give it.
import type { ContainerClient } from '@azure/storage-blob';
import type { DeadLetter, EventInput, Lander } from '../contracts.js';
import type { Policy } from '../detect/index.js';
import { batchKey, batchKeyRange, DETECT_ERROR, processEventChunks, wholeBatch } from '../pipeline.js';
import { messageForDeadLetter, processWebhookChunks } from '../webhooks/process.js';
import { batchFolder, CAPTURE_BLOCK_UNREADABLE, dayOfName, deadLetterFileSchema, eachLimited, lettersOf, PARTIAL_METADATA, REPLAYED_METADATA, UPLOADS_IN_FLIGHT, wholeEventFolder, type DeadLetterBlob } from './deadLetters.js';
import { describeZodError } from '../envelope/schema.js';
import { errorText } from '../errorText.js';
import { clockOfEvents } from '../eventhub/triggerMetadata.js';

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
  /**
   * Land a whole batch whose blobs do not all read (gone, cut, outside --prefix) with the
   * bodies that do, under the batch's own key (tables that landed under it are skipped),
   * instead of waiting for the rest (`sift replay --allow-incomplete`): the operator accepts
   * that the missing bodies are lost.
   */
  allowIncomplete?: boolean;
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
  /**
   * Whole-batch groups left unlanded and unmarked because the blobs read do not make up
   * their batch (one unreadable, outside --prefix, or gone): landed in part under the
   * batch's key, the rest could never land after it.
   */
  incomplete: number;
  /** Incomplete whole batches landed with the bodies read (allowIncomplete), counted apart from `incomplete`. */
  landedIncomplete: number;
  /**
   * Record letters left out because their whole body is a dead letter too (an event letter
   * read in the same run): the body replays them, and on their own they would land twice.
   * Their blobs are marked with their group.
   */
  superseded: number;
}

interface Group {
  key: string;
  kind: DeadLetterBlob['kind'];
  /** Each blob's events, with the number its name ends in (`event-<n>`, `records-<first>`). */
  parts: { blob: string; n: number; events: EventInput[] }[];
  /**
   * The earliest day folder of its blobs: dead letters its landing writes go there (as the
   * trigger's folderDay would put them), not under the day of the replay.
   */
  day?: Date;
}

/** The number a dead-letter blob's name ends in: its place in the batch. */
const blobNumber = (name: string): number => Number(/-(\d+)\.json$/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);

/**
 * A whole-batch group's events in the batch's order. A listing sorts names as text
 * (`event-10` before `event-2`); chunks cut from that order would differ from the trigger's
 * and land under keys it never used, so tables that had landed would land again.
 */
function batchEvents(g: Group): EventInput[] {
  const sorted = g.parts.sort((a, b) => a.n - b.n || (a.blob < b.blob ? -1 : a.blob > b.blob ? 1 : 0));
  // A batch kept twice (a redelivery more than a day later writes a copy in another day
  // folder) holds each body twice: once each, or the key never matches and it never lands.
  const seen = new Set<string>();
  const out: EventInput[] = [];
  for (const p of sorted)
    for (const e of p.events) {
      const k = bodyKey(e.position);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(e);
    }
  return out;
}

/**
 * A record group's records, each once, in the order of their places. A record can be in two
 * letters (its first, and the one a failed replay's landing wrote); its key is then that of
 * the same records, so a replay after a landing that failed half-way skips what landed.
 */
function recordEvents(g: Group, wholeBodies: ReadonlySet<string>, report: ReplayReport): EventInput[] {
  const byPlace = new Map<string, EventInput>();
  for (const p of g.parts)
    for (const e of p.events) {
      if (wholeBodies.has(bodyKey(e.position))) report.superseded++;
      else if (!byPlace.has(eventPlace(e))) byPlace.set(eventPlace(e), e);
    }
  const order = (e: EventInput): [string, string, number, number] => [e.position.source, e.position.partitionId, e.position.sequenceNumber, e.firstIndex ?? 0];
  return [...byPlace.values()].sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : x[2] - y[2] || x[3] - y[3];
  });
}

/** `webhook`: the dead letter came from the webhook hub; a record of it goes back in a hub message. */
function toEvent(doc: DeadLetterBlob, webhook: boolean): EventInput {
  const { source, partitionId, sequenceNumber, offset, enqueuedTime } = doc.position;
  const body = (webhook && doc.kind === 'record' ? messageForDeadLetter(doc, doc.writtenAt) : undefined) ?? (doc.rawBase64 ? Buffer.from(doc.rawBase64, 'base64') : doc.raw);
  const index = 'index' in doc.position ? doc.position.index : 0;
  return { body, position: { source, partitionId, sequenceNumber, offset, ...(enqueuedTime ? { enqueuedTime } : {}) }, ...(doc.kind === 'record' && index > 0 ? { firstIndex: index } : {}) };
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

/**
 * Which of a whole batch's bodies no blob read holds, from the sequence numbers its key names
 * (`…-<first>-<last>-<hash>`): the hub numbers a partition's events one by one, so a batch's
 * are consecutive. At most 20 listed.
 */
export function missingSequences(key: string, events: readonly EventInput[]): string {
  const range = batchKeyRange(key);
  if (!range) return '';
  const [first, last] = range;
  const have = new Set(events.map((e) => e.position.sequenceNumber));
  const missing: number[] = [];
  for (let n = first; n <= last && missing.length <= 20; n++) if (!have.has(n)) missing.push(n);
  if (missing.length === 0) return '';
  const more = missing.length > 20 ? ', …' : '';
  return `; no blob read holds sequence number(s) ${missing.slice(0, 20).join(', ')}${more} of ${first}..${last} (event-<n>.json counts the batch's bodies from 0)`;
}

const REPLAY_SUFFIX = '.replay';
/** `<key>.replay` for a record-level dead letter, also when `key` came from a replay already. */
export function replayKey(batchKey: string): string {
  let base = batchKey;
  while (base.endsWith(REPLAY_SUFFIX)) base = base.slice(0, -REPLAY_SUFFIX.length);
  return base + REPLAY_SUFFIX;
}

/** A body's place: source, partition, sequence number. */
const bodyKey = (p: EventInput['position']): string => `${p.source}\u0000${p.partitionId}\u0000${p.sequenceNumber}`;
/** A record's place: its body's, and its index in that body. */
const placeKey = (p: DeadLetterBlob['position']): string => `${bodyKey(p)}\u0000${'index' in p ? p.index : 0}`;
const eventPlace = (e: EventInput): string => placeKey({ ...e.position, index: e.firstIndex ?? 0 });
/** A record's place and failure: the same record failing the same way on replay. */
const failureKey = (p: DeadLetterBlob['position'], reason: string): string => `${placeKey(p)}\u0000${reason}`;

export async function replayDeadLetters(container: ContainerClient, opts: ReplayOptions): Promise<ReplayReport> {
  const report: ReplayReport = { blobs: 0, alreadyReplayed: 0, batches: 0, replayedBlobs: 0, failedBatches: 0, records: 0, rows: 0, deadLettersAgain: 0, unreadable: 0, incomplete: 0, landedIncomplete: 0, superseded: 0 };
  const groups = new Map<string, Group>();
  /** failureKey of every record-level dead letter read: a record failing one of these ways again is not landed or written again. */
  const failures = new Set<string>();
  /** bodyKey of every event letter read. */
  const wholeBodies = new Set<string>();
  /** Folders (batch keys) of whole-event blobs marked replayed: their batch landed whole. */
  const landedBatches = new Set<string>();
  const fromHub = (source: string): boolean => opts.webhookHub !== undefined && source === opts.webhookHub;
  /** Marks every blob of a group that landed; a failure leaves the group for the next run. */
  const markReplayed = async (g: Group, partial = false): Promise<void> => {
    try {
      const at = (opts.now?.() ?? new Date()).toISOString();
      const metadata = { [REPLAYED_METADATA]: at, ...(partial ? { [PARTIAL_METADATA]: 'true' } : {}) };
      await eachLimited(g.parts, UPLOADS_IN_FLIGHT, ({ blob }) => container.getBlobClient(blob).setMetadata(metadata));
      report.replayedBlobs += g.parts.length;
    } catch (err) {
      report.failedBatches++;
      opts.log?.(`replay ${g.key}: ${errorText(err)}`);
    }
  };
  // The store creates its container with the first dead letter: none yet, nothing to replay.
  if (!(await container.exists())) {
    opts.log?.(`replay: no container ${container.containerName}: nothing has been dead-lettered yet`);
    return report;
  }
  for await (const item of container.listBlobsFlat({ includeMetadata: true, ...(opts.prefix ? { prefix: opts.prefix } : {}) })) {
    if (!item.name.endsWith('.json')) continue;
    report.blobs++;
    if (item.metadata?.[REPLAYED_METADATA]) {
      report.alreadyReplayed++;
      const folder = wholeEventFolder(item.name);
      if (folder !== undefined && !item.metadata[PARTIAL_METADATA]) landedBatches.add(folder);
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
    const g = groups.get(key) ?? { key, kind, parts: [] };
    const events: EventInput[] = [];
    for (const doc of docs) {
      // The note runDetect leaves when a detector throws (index -1): no data.
      if (doc.reason === DETECT_ERROR && 'index' in doc.position && doc.position.index === -1) {
        opts.log?.(`replay: ${item.name}: detection did not run for batch ${doc.batchKey} (${doc.detail.slice(0, 200)}); nothing to replay for it`);
        continue;
      }
      // Bytes of a damaged Capture file: no event can be cut from them, the blob keeps them.
      if (doc.reason === CAPTURE_BLOCK_UNREADABLE) {
        opts.log?.(`replay: ${item.name}: unreadable bytes of a Capture file (${doc.detail.slice(0, 200)}); kept as they are, nothing to replay`);
        continue;
      }
      events.push(toEvent(doc, fromHub(doc.position.source)));
      if (kind === 'record') failures.add(failureKey(doc.position, doc.reason));
      else wholeBodies.add(bodyKey(doc.position));
    }
    g.parts.push({ blob: item.name, n: blobNumber(item.name), events });
    const day = dayOfName(item.name);
    if (day && !(g.day && g.day <= day)) g.day = day;
    groups.set(key, g);
  }
  if (report.blobs === 0 && opts.prefix) {
    // Blob names start at the day (yyyy/mm/dd/…); the container's name is not part of them.
    const inner = opts.prefix.startsWith(`${container.containerName}/`) ? `; names start with the day, without the container: try --prefix ${opts.prefix.slice(container.containerName.length + 1)}` : '';
    opts.log?.(`replay: no dead letter in ${container.containerName} starts with ${opts.prefix}${inner}`);
  }
  for (const g of groups.values()) {
    report.batches++;
    const all = g.kind === 'event' ? batchEvents(g) : recordEvents(g, wholeBodies, report);
    // The clock the trigger gave the batch (its latest enqueued time), not today's: a klog line
    // whose record has no time takes its year from it, and a later year would land the row again
    // under another day and another TimeGenerated (which the views key on).
    const pipelineOpts = { policy: opts.policy, now: opts.now?.() ?? clockOfEvents(all), ...(opts.defaultCluster ? { defaultCluster: opts.defaultCluster } : {}) };
    // A batch's key hashes the position of each of its bodies: these blobs are the whole batch
    // only if theirs give it again. Landed in part under that key, the rest would be skipped
    // as already landed when it came.
    let partial = false;
    if (g.kind === 'event' && batchKey(all) !== g.key) {
      // Some of its blobs are marked: a run landed the batch whole and stopped marking part-way
      // (a failed or cut-off metadata write). The rest are marked now, not waited on forever.
      if (landedBatches.has(batchFolder(g.key))) {
        if (!opts.dryRun) await markReplayed(g);
        continue;
      }
      const what = `${g.parts.length} blob(s) read do not make up the batch (one unreadable, outside --prefix, or gone)${missingSequences(g.key, all)}`;
      if (!opts.allowIncomplete) {
        report.incomplete++;
        opts.log?.(`replay ${g.key}: ${what}; left for a run that reads them all (or --allow-incomplete to land what is there)`);
        continue;
      }
      partial = true;
      report.landedIncomplete++;
      opts.log?.(`replay ${g.key}: ${what}; landing the bodies read under the batch's own key, one chunk (--allow-incomplete: the tables that had landed under it are skipped)`);
    }
    // The pipeline the group's hub feeds; a whole batch is one chunk of no limit, and so is
    // what an incomplete one has left.
    const cut = fromHub(all[0]?.position.source ?? '') ? processWebhookChunks : processEventChunks;
    let landed = true;
    for (const chunk of partial ? [{ events: all, result: wholeBatch(cut(all, pipelineOpts, Infinity)) }] : cut(all, pipelineOpts)) {
      // Each chunk lands under the key its trigger gives it (the whole batch's: the group's),
      // records under one of their own: a record group's records, not its name, make its key,
      // so letters written later under that name (a record failing another way) land too.
      // What is left of an incomplete batch lands under the batch's key: the tables that had
      // landed under it before the failure are skipped, not landed twice.
      const key = partial ? g.key : g.kind === 'event' ? batchKey(chunk.events) : replayKey(batchKey(chunk.events));
      let result = chunk.result;
      report.records += result.summary.records;
      // Records failing the same way again: counted, and the chunk processed without them.
      // (Only a record stands alone: a body of a whole batch lands whole or not at all.)
      const failsAgain = (d: DeadLetter): boolean => failures.has(failureKey(d.position, d.reason));
      const again = new Set(g.kind === 'record' ? result.deadLetters.filter(failsAgain).map((d) => placeKey(d.position)) : []);
      if (again.size > 0) {
        // A letter of one record is left out with whatever it gave (a truncated record's
        // salvaged row). A letter holding a whole body (batch-record-limit: set aside
        // unopened) stays: only its failing records' letters are left out, not its other records.
        const single = (e: EventInput): boolean => again.has(eventPlace(e)) && wholeBatch(cut([e], pipelineOpts, Infinity)).summary.records <= 1;
        const rest = chunk.events.filter((e) => !single(e));
        if (rest.length < chunk.events.length) result = wholeBatch(cut(rest, pipelineOpts, Infinity));
        if (result.deadLetters.some(failsAgain)) {
          const deadLetters = result.deadLetters.filter((d) => !failsAgain(d));
          result = { ...result, deadLetters, summary: { ...result.summary, deadLetters: deadLetters.length } };
        }
      }
      if (opts.dryRun) {
        // What this run would land (the sink still skips what an earlier landing of the key
        // holds): the figures a real run reports, which a dry run left at 0.
        report.rows += Object.values(result.summary.rows).reduce<number>((a, b) => a + (b ?? 0), 0);
        report.deadLettersAgain += result.deadLetters.length + again.size;
        continue;
      }
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
    await markReplayed(g, partial);
  }
  return report;
}
