// Fitting bodies into Event Hubs limits, as pure logic: a body larger than one event may
// carry is split along its natural list (records[] / EventList.items / top-level array),
// and events are packed into batches by the SDK's own size accounting (tryAdd) so the
// same loop can be tested with a fake producer and no network.
import { jsonElements } from '../envelope/json.js';
import { bothLists, isEventLike, isRecordLike } from '../envelope/shapes.js';

/** Event Hubs Standard/Premium maximum event (and batch) size. Basic tier is 256 KiB. */
export const EVENT_HUBS_MAX_EVENT_BYTES = 1_048_576;
/** Default largest body we produce: leaves room for AMQP framing, properties and annotations. */
export const DEFAULT_MAX_BODY_BYTES = 1_000_000;

export type BodyShape = 'records' | 'EventList' | 'array' | 'opaque';

export interface SplitResult {
  /** JSON texts, each at most maxBytes (UTF-8), in input order. */
  bodies: string[];
  shape: BodyShape;
  /** Items (indexes into the body's list) that alone exceed maxBytes and were left out. */
  oversizeItems: number[];
  /** The whole body was too large and not splittable (opaque shape). */
  oversizeBody: boolean;
}

/** The list a body may be split along, and how to put a chunk back into the same shape. */
function listOf(value: unknown): { shape: BodyShape; items: unknown[]; path: string[]; shell: string } | null {
  if (Array.isArray(value)) return { shape: 'array', items: value, path: [], shell: '[]' };
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    // Cut along the list the envelope reads (envelope/shapes.ts), in its order: an audit Event
    // or a diagnostic record is one item whatever lists it carries (split along an extra
    // `records`, an Event became no body at all); an EventList with records too is refused
    // whole; an EventList's list is its items, even beside an empty `records`.
    if (isEventLike(obj) || isRecordLike(obj) || bothLists(obj)) return null;
    const key = obj.kind === 'EventList' ? (Array.isArray(obj.items) ? 'items' : null) : Array.isArray(obj.records) ? 'records' : null;
    if (!key) return null;
    // The list key goes last so the shell ends in "[]}" and chunks can be spliced in as text.
    const { [key]: items, ...rest } = obj;
    return { shape: key === 'records' ? 'records' : 'EventList', items: items as unknown[], path: [key], shell: JSON.stringify({ ...rest, [key]: [] }) };
  }
  return null;
}

/**
 * Greedily pack already-serialized items into containers `shell` (whose text ends in "[]" or
 * "[]}") so that each container's UTF-8 size is at most maxBytes. Returns the texts and the
 * indexes of items that cannot fit even alone.
 */
export function chunkItems(itemTexts: readonly string[], shell: string, maxBytes: number): { texts: string[]; oversize: number[] } {
  const closeLen = shell.endsWith('[]}') ? 2 : 1; // "]}" or "]"
  const head = shell.slice(0, shell.length - closeLen);
  const tail = shell.slice(shell.length - closeLen);
  const base = Buffer.byteLength(shell);
  const texts: string[] = [];
  const oversize: number[] = [];
  let current: string[] = [];
  let size = base;
  const flush = (): void => {
    if (current.length) texts.push(head + current.join(',') + tail);
    current = [];
    size = base;
  };
  itemTexts.forEach((text, i) => {
    const bytes = Buffer.byteLength(text);
    if (base + bytes > maxBytes) {
      oversize.push(i);
      return;
    }
    const added = bytes + (current.length ? 1 : 0);
    if (size + added > maxBytes) flush();
    size += bytes + (current.length ? 1 : 0);
    current.push(text);
  });
  flush();
  return { texts, oversize };
}

/** Serialize a body, splitting it along its list when it exceeds maxBytes. */
export function splitBody(body: unknown, maxBytes = DEFAULT_MAX_BODY_BYTES): SplitResult {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (Buffer.byteLength(text) <= maxBytes) return { bodies: [text], shape: 'opaque', oversizeItems: [], oversizeBody: false };
  let value: unknown = body;
  let source: string | undefined;
  if (typeof body === 'string') {
    source = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
    try {
      value = JSON.parse(source);
    } catch {
      return { bodies: [], shape: 'opaque', oversizeItems: [], oversizeBody: true };
    }
  }
  const list = listOf(value);
  if (!list) return { bodies: [], shape: 'opaque', oversizeItems: [], oversizeBody: true };
  // A body given as text keeps each item's own bytes (numbers past 2^53, escapes); only the
  // shell around them is written anew.
  const own = source === undefined ? undefined : jsonElements(source, list.path);
  const items = own?.length === list.items.length ? own : list.items.map((x) => JSON.stringify(x));
  const { texts, oversize } = chunkItems(items, list.shell, maxBytes);
  return { bodies: texts, shape: list.shape, oversizeItems: oversize, oversizeBody: false };
}

/** The part of an EventDataBatch the send loop needs (the SDK's class satisfies it). */
export interface BatchLike {
  tryAdd(event: { body: unknown; contentType?: string }): boolean;
  readonly count: number;
  readonly sizeInBytes: number;
}

/** The part of EventHubProducerClient the send loop needs. */
export interface BatchProducer<B extends BatchLike> {
  createBatch(): Promise<B>;
  sendBatch(batch: B): Promise<void>;
}

export interface SendReport {
  events: number;
  batches: number;
  bytes: number;
  /** Indexes (into the input sequence) of bodies no batch could hold. */
  rejected: number[];
}

/**
 * Send bodies in as few batches as the service allows. A body that does not fit into an
 * empty batch is reported in `rejected` (never silently dropped, never fails the others).
 */
export async function sendInBatches<B extends BatchLike>(
  producer: BatchProducer<B>,
  bodies: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  onBatch?: (report: SendReport) => void,
): Promise<SendReport> {
  const report: SendReport = { events: 0, batches: 0, bytes: 0, rejected: [] };
  let batch = await producer.createBatch();
  const flush = async (): Promise<void> => {
    if (batch.count === 0) return;
    await producer.sendBatch(batch);
    report.events += batch.count;
    report.batches += 1;
    report.bytes += batch.sizeInBytes;
    onBatch?.(report);
    batch = await producer.createBatch();
  };
  let i = 0;
  for await (const body of bodies) {
    const event = { body, contentType: 'application/json' };
    if (!batch.tryAdd(event)) {
      await flush();
      if (!batch.tryAdd(event)) report.rejected.push(i);
    }
    i++;
  }
  await flush();
  return report;
}

/**
 * Offline stand-in for EventDataBatch: same add/refuse behaviour with an estimated AMQP
 * overhead per event. Used by `sift send --dry-run` and tests; the real SDK batch is the
 * authority when sending.
 */
export class EstimatedBatch implements BatchLike {
  static readonly PER_EVENT_OVERHEAD = 64;
  static readonly BATCH_OVERHEAD = 32;
  readonly bodies: Uint8Array[] = [];
  #size = EstimatedBatch.BATCH_OVERHEAD;
  constructor(readonly maxSizeInBytes = EVENT_HUBS_MAX_EVENT_BYTES) {}
  get count(): number {
    return this.bodies.length;
  }
  get sizeInBytes(): number {
    return this.#size;
  }
  tryAdd(event: { body: unknown }): boolean {
    const body = event.body instanceof Uint8Array ? event.body : Buffer.from(JSON.stringify(event.body) ?? '');
    const next = this.#size + body.byteLength + EstimatedBatch.PER_EVENT_OVERHEAD;
    if (next > this.maxSizeInBytes) return false;
    this.#size = next;
    this.bodies.push(body);
    return true;
  }
}
