// Event Hub body → RawRecord[] (+ dead letters). Accepts:
//   {"records":[...]}              AKS diagnostic settings (any category mix, extra fields)
//   one diagnostic record          (single records, replayed dead letters)
//   audit Event / EventList / [..] webhook shapes (audit.k8s.io/v1)
//   arrays mixing the above        (flattened; index counts items across the array)
// as a Buffer (binary trigger), a string, or an already-parsed value. One JSON.parse per
// body; nothing here throws: every failure is a dead letter with a reason and position.
import { isUtf8 } from 'node:buffer';
import type { DeadLetter, EventInput, Position } from '../contracts.js';
import type { SourcedRecord } from '../normalize/index.js';
import { intern } from './intern.js';
import { jsonElements, jsonSpan, jsonTextTooDeep, safeStringify, stringifyOrNull, valueTooDeep, type JsonStep } from './json.js';
import { foreignItem, shapeHint } from './foreign.js';
import { bothLists, isEventLike, isRecordLike } from './shapes.js';
import { describeZodError, diagnosticRecordSchema } from './schema.js';

export interface EnvelopeOptions {
  /** Cluster for items without a resourceId (webhook events). */
  defaultCluster: string;
  /** Bodies larger than this are dead-lettered whole ('body-too-large'). */
  maxBodyBytes: number;
  /**
   * 'audit': only audit Event / EventList / arrays of events (sift process --format audit).
   * 'audit-event': as 'audit', but an EventList inside the body is not taken apart (webhook hub
   * messages: their route took the sender's EventList apart and refused any list nested in it,
   * so the hub dead-letters such an item as the route said, instead of landing its events).
   * Default 'any'.
   */
  accept?: 'any' | 'audit' | 'audit-event';
}

export interface EnvelopeSink {
  records: SourcedRecord[];
  deadLetters: DeadLetter[];
}

/** Default body limit: 4 MiB, four times the largest event Event Hubs Standard/Premium accept (1 MB). */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Deepest container level holding items: [ {records|items: [ item ]} ] is level 2. */
const MAX_SHAPE_LEVEL = 2;

/** Category given to raw audit Events (webhook shapes). */
export const WEBHOOK_AUDIT_CATEGORY = 'k8s-audit-webhook';

/**
 * The body text (null for parsed bodies) and, once asked (or as its producer found:
 * EventInput.shallow), whether it nests too deep anywhere.
 */
interface BodyText {
  text: string | null;
  deep?: boolean;
  /** EventInput.itemTexts: the own text of each element of an array body. */
  items?: readonly string[];
  /** Element texts of the arrays that had a dead letter, by the array's Loc (itemRaw). */
  elements?: Map<Loc | null, string[] | null>;
}

/**
 * Where a container sits in the body (steps from the top value); null is the top. Built once
 * per container, never per item: an item is (its array's Loc, its index).
 */
interface Loc {
  parent: Loc | null;
  step: JsonStep;
}

const at = (parent: Loc | null, step: JsonStep | null): Loc | null => (step === null ? parent : { parent, step });

/**
 * An item's text for its dead letter: its exact bytes from the body (or its producer's own
 * text), so that what a sender wrote (integers past 2^53, integer-like keys, escapes) reaches
 * a replay unchanged; re-serialized only for a body that arrived parsed.
 */
function itemRaw(value: unknown, holder: BodyText, parent: Loc | null, step: JsonStep | null): string {
  const own = ownText(holder, parent, step);
  if (own !== undefined) return own;
  const exact = holder.text === null ? undefined : bodySpan(holder, holder.text, parent, step);
  return exact ?? stringifyOrNull(value) ?? safeStringify(value);
}

/**
 * The text of the value at (parent, step) inside the body text. An array's elements are cut
 * once, on its first dead letter, and kept: a body whose every item is dead-lettered (a hub
 * shared with another resource's diagnostics) is scanned once, not once per item. Each
 * container is found inside its parent's text, not from the top of the body: from the top,
 * the inner arrays of N elements cost N scans of the body (a 1 MB body of
 * `[{"records":[5]},…]` took a minute).
 */
function bodySpan(holder: BodyText, text: string, parent: Loc | null, step: JsonStep | null): string | undefined {
  return typeof step === 'number' ? elementsAt(holder, text, parent)?.[step] : textAt(holder, text, at(parent, step));
}

/** The element texts of the array at `loc`, cut once and kept (null: no array there). */
function elementsAt(holder: BodyText, text: string, loc: Loc | null): string[] | null {
  const cut = (holder.elements ??= new Map());
  let elements = cut.get(loc);
  if (elements === undefined) {
    const own = textAt(holder, text, loc);
    cut.set(loc, (elements = own === undefined ? null : (jsonElements(own, []) ?? null)));
  }
  return elements;
}

/** The text of the value at `loc`: an element of its parent array's cut, or a member of its parent's text. */
function textAt(holder: BodyText, text: string, loc: Loc | null): string | undefined {
  if (loc === null) return text;
  if (typeof loc.step === 'number') return elementsAt(holder, text, loc.parent)?.[loc.step];
  const parent = textAt(holder, text, loc.parent);
  return parent === undefined ? undefined : jsonSpan(parent, [loc.step]);
}

/** The producer's text of a top-level element of an array body (EventInput.itemTexts). */
function ownText(holder: BodyText, parent: Loc | null, step: JsonStep | null): string | undefined {
  return parent === null && typeof step === 'number' ? holder.items?.[step] : undefined;
}

/**
 * Unwrap one Event Hub event into `sink`. Returns the number of input items it accounted
 * for (records + events, or 1 when the whole body is dead-lettered).
 */
export function unwrapEvent(ev: EventInput, sink: EnvelopeSink, opts: EnvelopeOptions): number {
  const body = ev.body;
  let value: unknown;
  let text: string | null = null;
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer) {
    const decoded = decode(body, ev, opts, sink);
    if (decoded === null) return 1;
    text = decoded;
    if (isBlank(text)) return bodyDeadLetter(sink, ev, 'empty-body', 'body is empty', text);
    try {
      value = JSON.parse(text);
    } catch (err) {
      return bodyDeadLetter(sink, ev, 'invalid-json', `body is not JSON: ${err instanceof Error ? err.message : String(err)}`, text);
    }
  } else if (body === null || body === undefined) {
    return bodyDeadLetter(sink, ev, 'empty-body', 'body is empty', '');
  } else value = body;

  const holder: BodyText = ev.shallow ? { text, deep: false } : { text };
  if (Array.isArray(value)) {
    // Texts that do not pair one to one with the elements are not used at all.
    if (ev.itemTexts?.length === value.length) holder.items = ev.itemTexts;
    return unwrapArray(value, ev, sink, opts, holder, 0, 1, null);
  }
  if (value === null || typeof value !== 'object') {
    return bodyDeadLetter(sink, ev, 'unknown-shape', `body is JSON ${value === null ? 'null' : typeof value}, expected an object or array`, text ?? safeStringify(value));
  }
  const n = unwrapObject(value as Record<string, unknown>, ev, sink, opts, holder, 0, true, 0, null, null);
  if (n < 0) {
    return bodyDeadLetter(sink, ev, 'unknown-shape', `body is neither {"records":[...]}, a diagnostic record, an audit Event nor an EventList${shapeHint(value)}`, text ?? safeStringify(value));
  }
  return n;
}

/** Buffer/string → text without BOM, or null after dead-lettering (too large, invalid UTF-8). */
function decode(body: string | Uint8Array | ArrayBuffer, ev: EventInput, opts: EnvelopeOptions, sink: EnvelopeSink): string | null {
  if (typeof body === 'string') {
    // String length ≤ UTF-8 byte length: a cheap lower bound of the size.
    if (body.length > opts.maxBodyBytes) {
      bodyDeadLetter(sink, ev, 'body-too-large', `body has ${body.length} characters, limit ${opts.maxBodyBytes} bytes`, body);
      return null;
    }
    return body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  }
  const buf = asBuffer(body);
  if (buf.length > opts.maxBodyBytes) {
    const dl = bodyDeadLetterValue(ev, 'body-too-large', `body has ${buf.length} bytes, limit ${opts.maxBodyBytes}`, '');
    Object.assign(dl, bodyText(buf));
    sink.deadLetters.push(dl);
    return null;
  }
  if (!isUtf8(buf)) {
    const dl = bodyDeadLetterValue(ev, 'invalid-utf8', `body of ${buf.length} bytes is not valid UTF-8`, '');
    Object.assign(dl, bodyText(buf));
    sink.deadLetters.push(dl);
    return null;
  }
  const start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return buf.toString('utf8', start);
}

/**
 * The whole body as one dead letter with its exact bytes (text, plus base64 when it is not
 * UTF-8), unread: for bodies refused before the envelope opens them. Counts as one item.
 */
export function deadLetterBody(ev: EventInput, sink: EnvelopeSink, reason: string, detail: string): number {
  sink.deadLetters.push(Object.assign(bodyDeadLetterValue(ev, reason, detail, ''), bodyText(ev.body)));
  return 1;
}

/**
 * A body as a dead letter keeps it: `raw` is its text (lossless when the bytes are valid
 * UTF-8), `rawBase64` the exact bytes when they are not (replay prefers it); a body that
 * arrived parsed is written back as JSON. Every dead letter of a whole body uses this.
 */
export function bodyText(body: unknown): { raw: string; rawBase64?: string } {
  if (typeof body === 'string') return { raw: body };
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    const buf = asBuffer(body);
    const raw = buf.toString('utf8');
    return isUtf8(buf) ? { raw } : { raw, rawBase64: buf.toString('base64') };
  }
  return { raw: safeStringify(body) };
}

/** The body's bytes as a Buffer view (no copy). */
const asBuffer = (body: Uint8Array | ArrayBuffer): Buffer => (body instanceof ArrayBuffer ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength));

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return false;
  }
  return true;
}

function pos(ev: EventInput, index: number): Position {
  const p = ev.position;
  // Always the same fields (one object shape); an absent enqueuedTime is left out of JSON.
  return { source: p.source, partitionId: p.partitionId, sequenceNumber: p.sequenceNumber, offset: p.offset, enqueuedTime: p.enqueuedTime, index: index + (ev.firstIndex ?? 0) };
}

function bodyDeadLetterValue(ev: EventInput, reason: string, detail: string, raw: string): DeadLetter {
  return { reason, detail, position: pos(ev, 0), raw };
}

function bodyDeadLetter(sink: EnvelopeSink, ev: EventInput, reason: string, detail: string, raw: string): number {
  sink.deadLetters.push(bodyDeadLetterValue(ev, reason, detail, raw));
  return 1;
}


/** Audit events only: no diagnostic record or `{records}` body is read. */
const auditOnly = (opts: EnvelopeOptions): boolean => opts.accept === 'audit' || opts.accept === 'audit-event';


/**
 * An object at the top of a body (parent and step null) or element `step` of the array at
 * `parent`. Returns items accounted for, or -1 when the object has no known shape (the caller
 * decides how to dead-letter it).
 */
function unwrapObject(o: Record<string, unknown>, ev: EventInput, sink: EnvelopeSink, opts: EnvelopeOptions, holder: BodyText, index: number, top: boolean, level: number, parent: Loc | null, step: number | null): number {
  // Bodies nest at most array → {records} → record; anything deeper is not a shape we know.
  if (level > MAX_SHAPE_LEVEL) return -1;
  // An Event or a diagnostic record is itself an item: `kind`, `items` or `records` beside it
  // are extra fields like any other (checked first, an empty `items` or `records` made the
  // item vanish, and its neighbours' indexes shift).
  if (isEventLike(o)) {
    pushEvent(o, ev, sink, opts, holder, index, parent, step);
    return 1;
  }
  if (isRecordLike(o) && !auditOnly(opts)) {
    pushRecord(o, ev, sink, opts, index, holder, parent, step);
    return 1;
  }
  // Both lists, each with items: which one to read is a guess, and the other's would vanish
  // unseen. An empty or non-array `records` beside an EventList holds nothing to lose.
  if (bothLists(o) && !auditOnly(opts)) return -1;
  if (o.kind === 'EventList' && opts.accept !== 'audit-event') {
    const items = o.items;
    if (!Array.isArray(items)) {
      sink.deadLetters.push({ reason: 'invalid-body', detail: 'EventList.items is not an array', position: pos(ev, index), raw: top && holder.text !== null ? holder.text : itemRaw(o, holder, parent, step) });
      return 1;
    }
    return unwrapArray(items, ev, sink, opts, holder, index, level + 1, { parent: at(parent, step), step: 'items' });
  }
  const records = o.records;
  if (records !== undefined && !auditOnly(opts)) {
    if (!Array.isArray(records)) {
      sink.deadLetters.push({ reason: 'invalid-body', detail: `records is ${records === null ? 'null' : typeof records}, expected an array`, position: pos(ev, index), raw: top && holder.text !== null ? holder.text : itemRaw(o, holder, parent, step) });
      return 1;
    }
    return unwrapArray(records, ev, sink, opts, holder, index, level + 1, { parent: at(parent, step), step: 'records' });
  }
  return -1;
}

/** The shapes an item may have, by EnvelopeOptions.accept, for an unknown-shape detail. */
const KNOWN_SHAPES: Readonly<Record<NonNullable<EnvelopeOptions['accept']>, string>> = {
  any: 'diagnostic record, audit Event, EventList, {records}',
  audit: 'audit Event, EventList; audit events only here',
  'audit-event': 'audit Event; one event per item here, the webhook route takes EventLists apart',
};

/** A JSON value's kind for a detail: 'null', 'an array', 'an object', 'a number', … */
const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/** The items of the array at `self` (null: the body is the array). */
function unwrapArray(items: unknown[], ev: EventInput, sink: EnvelopeSink, opts: EnvelopeOptions, holder: BodyText, base: number, level: number, self: Loc | null): number {
  let count = 0;
  // Once per array, not per record: the mode does not change inside a body.
  const records = !auditOnly(opts);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const index = base + count;
    const isObject = item !== null && typeof item === 'object' && !Array.isArray(item);
    if (isObject) {
      const o = item as Record<string, unknown>;
      // Fast path: the AKS diagnostic record.
      if (records && typeof o.category === 'string' && o.properties !== undefined) {
        pushRecord(o, ev, sink, opts, index, holder, self, i);
        count++;
        continue;
      }
      const n = unwrapObject(o, ev, sink, opts, holder, index, false, level, self, i);
      if (n >= 0) {
        count += n;
        continue;
      }
    }
    const foreign = isObject ? foreignItem(item as Record<string, unknown>) : undefined;
    sink.deadLetters.push({
      reason: foreign?.reason ?? 'unknown-shape',
      detail: foreign?.detail ?? `item ${i} is ${kindOf(item)}${isObject ? ` of no known shape (${KNOWN_SHAPES[opts.accept ?? 'any']})${shapeHint(item)}` : ''}`,
      position: pos(ev, index),
      raw: itemRaw(item, holder, self, i),
    });
    count++;
  }
  return count;
}

// Cluster name from a resourceId: last segment after /managedClusters/ (or Arc
// /connectedClusters/), lower-cased. One-entry memo: a body almost always has one cluster.
let memoId = '';
let memoCluster = '';
export function clusterFromResourceId(resourceId: string): string {
  if (resourceId === memoId) return memoCluster;
  const lower = resourceId.toLowerCase();
  let at = lower.lastIndexOf('/managedclusters/');
  let skip = 17;
  if (at < 0) {
    at = lower.lastIndexOf('/connectedclusters/');
    skip = 19;
  }
  let cluster = '';
  if (at >= 0) {
    const start = at + skip;
    const end = lower.indexOf('/', start);
    cluster = end < 0 ? lower.slice(start) : lower.slice(start, end);
  }
  memoId = resourceId;
  memoCluster = cluster;
  return cluster;
}

/** The fast check equal to diagnosticRecordSchema (see schema.ts). */
export function isValidRecord(o: Record<string, unknown>): boolean {
  const p = o.properties as Record<string, unknown> | null | undefined;
  return (
    typeof o.category === 'string' && o.category.length > 0 &&
    (o.time === undefined || typeof o.time === 'string') &&
    (o.resourceId === undefined || typeof o.resourceId === 'string') &&
    (o.operationName === undefined || typeof o.operationName === 'string') &&
    p !== null && typeof p === 'object' && !Array.isArray(p) &&
    typeof p.log === 'string' &&
    (p.pod === undefined || typeof p.pod === 'string') &&
    (p.stream === undefined || typeof p.stream === 'string') &&
    (p.containerID === undefined || typeof p.containerID === 'string')
  );
}

/** What the zod schema says is wrong with a record that failed the fast check. */
function recordSchemaError(o: Record<string, unknown>): string {
  const parsed = diagnosticRecordSchema.safeParse(o);
  return parsed.success ? 'record failed validation' : describeZodError(parsed.error);
}

function pushRecord(o: Record<string, unknown>, ev: EventInput, sink: EnvelopeSink, opts: EnvelopeOptions, index: number, holder: BodyText, parent: Loc | null, step: number | null): void {
  if (!isValidRecord(o)) {
    const why = foreignItem(o) ?? { reason: 'invalid-record', detail: recordSchemaError(o) };
    sink.deadLetters.push({
      reason: why.reason,
      detail: why.detail,
      position: pos(ev, index),
      raw: itemRaw(o, holder, parent, step),
      category: typeof o.category === 'string' ? o.category : undefined,
    });
    return;
  }
  const p = o.properties as Record<string, unknown>;
  // Shared copies: every record of a body repeats these (see intern.ts).
  const resourceId = intern((o.resourceId as string | undefined) ?? '');
  const cluster = resourceId ? clusterFromResourceId(resourceId) : '';
  sink.records.push({
    category: intern(o.category as string),
    time: (o.time as string | undefined) ?? '',
    resourceId,
    cluster: cluster || opts.defaultCluster,
    pod: intern((p.pod as string | undefined) ?? ''),
    stream: (p.stream as string | undefined) ?? '',
    log: p.log as string,
    source: 'diagnostic',
    position: pos(ev, index),
    original: o,
  });
}

/**
 * Parsed events become dynamic columns: refuse depths JSON.stringify cannot write back. The
 * cheapest answer first: the producer's verdict (EventInput.shallow), a scan of the event's own
 * text, one scan of the body text for all its events (a short body is provably shallow), and
 * only then a walk of the value.
 */
function eventTooDeep(o: Record<string, unknown>, holder: BodyText, own: string | undefined): boolean {
  if (holder.deep === false) return false;
  if (own !== undefined) return jsonTextTooDeep(own);
  if (holder.text !== null) holder.deep ??= jsonTextTooDeep(holder.text);
  return holder.deep !== false && valueTooDeep(o);
}

function pushEvent(o: Record<string, unknown>, ev: EventInput, sink: EnvelopeSink, opts: EnvelopeOptions, holder: BodyText, index: number, parent: Loc | null, step: number | null): void {
  // An event with its own text (EventInput.itemTexts) lands and dead-letters as that text.
  const own = ownText(holder, parent, step);
  if (eventTooDeep(o, holder, own)) {
    sink.deadLetters.push({ reason: 'too-deep', detail: 'audit event nests deeper than the allowed depth', position: pos(ev, index), raw: itemRaw(o, holder, parent, step), category: WEBHOOK_AUDIT_CATEGORY });
    return;
  }
  const stageTs = o.stageTimestamp;
  sink.records.push({
    category: WEBHOOK_AUDIT_CATEGORY,
    time: ev.receivedTime ?? (typeof stageTs === 'string' ? stageTs : ''),
    resourceId: '',
    cluster: opts.defaultCluster,
    pod: '',
    stream: '',
    log: o,
    source: 'audit-event',
    position: pos(ev, index),
    ...(own === undefined ? {} : { original: own }),
  });
}
