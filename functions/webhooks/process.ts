// Webhook hub messages → BatchResult. Audit events take the same normalize → detect path
// as AKS kube-audit records (processEvents, per cluster); runtime alerts are validated again
// (anyone with send rights on the hub could have put them there) and become Detections.
// Every event ends as a row, a detection or a dead letter.
import { appendAll } from '../arrays.js';
import { emptySummary, type BatchResult, type DeadLetter, type Detection, type EventInput } from '../contracts.js';
import { bodyText, WEBHOOK_AUDIT_CATEGORY } from '../envelope/index.js';
import { jsonElements, jsonSpan, jsonTextTooDeep, MAX_JSON_DEPTH, safeStringify, valueTooDeep } from '../envelope/json.js';
import { chunkItems } from '../eventhub/batching.js';
import { parseJson } from '../http/body.js';
import { isInteger, isSafeNumber, parse as parseLossless } from 'lossless-json';
import { cutChunks, DEFAULT_CHUNK_RECORDS, processEvents, wholeBatch, type EventChunk } from '../pipeline.js';
import type { Policy } from '../detect/index.js';
import { messageShell, pinnedField, webhookMessageSchema, type WebhookMessage } from './message.js';
import { webhookSource, type SourceName } from './sources.js';
import { alertDetections } from './runtimeAlert.js';
import { describeIssue, missingField } from '../http/issues.js';

export interface WebhookProcessOptions {
  policy: Policy;
  now?: Date;
}

/** The category of dead letters that hold a whole hub message (it could not be read). */
const WHOLE_MESSAGE_CATEGORY = 'webhook';

/** Categories of this pipeline's dead letters of one event or alert → the sender that made them. */
const SOURCE_OF_CATEGORY: Readonly<Record<string, SourceName>> = {
  [WEBHOOK_AUDIT_CATEGORY]: 'k8s-audit',
  falco: 'falco',
  kubearmor: 'kubearmor',
};

/**
 * A hub message again around one dead-lettered event or alert, so replay sends it down the
 * path it took (its sender's, its cluster). The event's text is spliced in as it is, byte for
 * byte. Undefined when the dead letter holds no single event: a whole message that could not
 * be read (WHOLE_MESSAGE_CATEGORY), replayed as it is.
 */
export function messageForDeadLetter(d: Pick<DeadLetter, 'category' | 'cluster' | 'clusterPinned' | 'raw'>, receivedTime: string): string | undefined {
  const source = d.category === undefined ? undefined : SOURCE_OF_CATEGORY[d.category];
  if (source === undefined) return undefined;
  const shell = messageShell({ source, cluster: d.cluster ?? 'unknown', ...pinnedField(d.clusterPinned), receivedTime });
  return chunkItems([d.raw], shell, Infinity).texts[0]!;
}

/**
 * `texts`: each event's own JSON text, when the message came as text. `shallow`: no event of
 * it nests deeper than MAX_JSON_DEPTH (the same pass), so none needs a depth check of its own;
 * a message that came parsed, or one with an event nested deeper, has its events checked one
 * by one.
 */
function parseMessage(body: unknown): { ok: true; message: WebhookMessage; text?: string; texts?: readonly string[]; shallow: boolean } | { ok: false; reason: string; detail: string } {
  let value = body;
  let text: string | undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const json = parseJson(body);
    if (!json.ok) return { ok: false, reason: 'invalid-json', detail: `webhook hub message: ${json.error}` };
    value = json.value;
    text = json.text;
  }
  const parsed = webhookMessageSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: 'unknown-shape', detail: `not a KubeSift webhook message: ${describeIssue(parsed.error).text}` };
  if (text === undefined) return { ok: true, message: parsed.data, shallow: false };
  // One pass cuts the events and measures how deep the deepest one nests.
  const deepest = { levels: 0 };
  const texts = jsonElements(text, ['events'], deepest);
  if (texts?.length !== parsed.data.events.length) return { ok: true, message: parsed.data, text, shallow: !jsonTextTooDeep(text) };
  return { ok: true, message: parsed.data, text, texts, shallow: deepest.levels <= MAX_JSON_DEPTH };
}

/** An integer past 2^53 keeps its digits as a string; every other number is JSON.parse's. */
const exactNumber = (digits: string): unknown => (isInteger(digits) && !isSafeNumber(digits) ? digits : Number(digits));

/**
 * An alert read again from its own text when it holds an integer JSON.parse would round
 * (Falco puts `evt.time`, nanoseconds since the epoch, in every alert's output_fields): its
 * Evidence then shows the digits the sender wrote. lossless-json refuses a key given twice
 * with two values, where JSON.parse keeps the last: such an alert keeps the plain parse.
 */
function exactIntegers(item: unknown, text: string | undefined): unknown {
  if (text === undefined || !LONG_DIGITS.test(text)) return item;
  try {
    return parseLossless(text, undefined, exactNumber);
  } catch {
    return item;
  }
}
const LONG_DIGITS = /\d{16}/;

export function emptyResult(): BatchResult {
  return { rows: { AksAudit: [], AksControlPlane: [] }, detections: [], deadLetters: [], summary: emptySummary() };
}

/** Concatenate batch results, recomputing the summary from what is actually there. */
export function mergeResults(parts: readonly BatchResult[]): BatchResult {
  const out = emptyResult();
  for (const p of parts) {
    appendAll(out.rows.AksAudit, p.rows.AksAudit);
    appendAll(out.rows.AksControlPlane, p.rows.AksControlPlane);
    appendAll(out.detections, p.detections);
    appendAll(out.deadLetters, p.deadLetters);
    out.summary.records += p.summary.records;
    out.summary.duplicates += p.summary.duplicates;
  }
  out.summary.rows = { AksAudit: out.rows.AksAudit.length, AksControlPlane: out.rows.AksControlPlane.length, Detections: out.detections.length };
  out.summary.detections = out.detections.length;
  out.summary.deadLetters = out.deadLetters.length;
  return out;
}

export function processWebhookEvents(events: readonly EventInput[], opts: WebhookProcessOptions): BatchResult {
  return wholeBatch(processWebhookChunks(events, opts, Infinity));
}

/**
 * processWebhookEvents in the AKS trigger's chunks (pipeline.ts cutChunks), counting the
 * audit events and alerts of each hub message: a chunk's messages are processed once it is
 * full, so its rows can land before the next messages are parsed. A hub message holds up to
 * ~1 MB of events, so a 100-message batch can hold tens of thousands; a batch of usual size
 * is one chunk.
 */
export function processWebhookChunks(events: readonly EventInput[], opts: WebhookProcessOptions, chunkRecords = DEFAULT_CHUNK_RECORDS): Generator<EventChunk> {
  let audit = new Map<string, EventInput[]>(); // per cluster: processEvents takes one default cluster
  let detections: Detection[] = [];
  let deadLetters: DeadLetter[] = [];
  let alertRecords = 0;

  const take = (ev: EventInput): number => {
    const parsed = parseMessage(ev.body);
    if (!parsed.ok) {
      alertRecords++;
      deadLetters.push({ reason: parsed.reason, detail: parsed.detail, position: { ...ev.position, index: 0 }, ...bodyText(ev.body), category: WHOLE_MESSAGE_CATEGORY });
      return 1;
    }
    const { message: msg, text, texts, shallow } = parsed;
    const source = webhookSource(msg.source);
    if (source?.kind === 'audit') {
      const list = audit.get(msg.cluster) ?? [];
      // The events go with their own texts: they land as those bytes. A shallow message's go
      // parsed and are not depth-checked again. When something nests too deep, the events'
      // array goes as text, so the envelope finds the exact bytes of anything it must
      // dead-letter, even inside an EventList (a parsed one could not be written back).
      // firstIndex: a replayed event (one-event message) keeps its index in the original message.
      list.push({
        body: shallow || text === undefined ? msg.events : (jsonSpan(text, ['events']) ?? msg.events),
        position: ev.position,
        ...(texts ? { itemTexts: texts } : {}),
        ...(shallow ? { shallow } : {}),
        ...(ev.firstIndex ? { firstIndex: ev.firstIndex } : {}),
        receivedTime: msg.receivedTime,
      });
      audit.set(msg.cluster, list);
    } else if (source?.kind === 'runtime-alert') {
      alertRecords += msg.events.length;
      const first = ev.firstIndex ?? 0;
      msg.events.forEach((item, index) => {
        const reject = (why: string, reason = 'invalid-runtime-alert'): void =>
          void deadLetters.push({ reason, detail: `${msg.source}: ${why}`, position: { ...ev.position, index: first + index }, raw: texts?.[index] ?? safeStringify(item), category: msg.source, cluster: msg.cluster, ...pinnedField(msg.clusterPinned) });
        // Its fields become a Detection's Evidence, which landing must be able to write.
        if (!shallow && valueTooDeep(item)) return reject(`alert nests deeper than ${MAX_JSON_DEPTH} levels`, 'too-deep');
        const checked = source.event.safeParse(exactIntegers(item, texts?.[index]), { error: missingField });
        if (!checked.success) return reject(describeIssue(checked.error).text);
        // The schema should admit only what converts; a conversion that still throws costs this
        // alert a dead letter, not the batch its neighbours are in.
        try {
          detections.push(...alertDetections(source.toAlert(checked.data, msg.cluster, msg.clusterPinned === true)));
        } catch (err) {
          reject(err instanceof Error ? err.message : String(err));
        }
      });
    }
    // Any other source is unreachable: the message schema lists the sources.
    return msg.events.length;
  };

  const finish = (): BatchResult => {
    const parts: BatchResult[] = [...audit].map(([cluster, inputs]) => {
      // Audit events only: anyone with send rights on the hub could put diagnostic records in a
      // k8s-audit message, and they would land as AKS rows under the message's cluster.
      const part = processEvents(inputs, { policy: opts.policy, now: opts.now, defaultCluster: cluster, accept: 'audit-event' });
      // The events name no cluster; their dead letters keep the message's for replay, and its
      // sender (one that is not an event has no category of its own), so replay sends each back
      // in a k8s-audit message at its own index instead of as a bare hub message.
      for (const d of part.deadLetters) {
        d.cluster = cluster;
        d.category ??= WEBHOOK_AUDIT_CATEGORY;
      }
      return part;
    });
    const alerts = emptyResult();
    alerts.detections = detections;
    alerts.deadLetters = deadLetters;
    alerts.summary.records = alertRecords;
    parts.push(alerts);
    audit = new Map();
    detections = [];
    deadLetters = [];
    alertRecords = 0;
    return mergeResults(parts);
  };

  return cutChunks(events, chunkRecords, take, finish);
}
