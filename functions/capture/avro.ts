// Event Hubs Capture files: Avro object container files whose records are the captured
// events. The writer's schema travels in the file header, so any Capture file decodes;
// CAPTURE_SCHEMA is the documented shape (used by tests and tools to write one).
import { inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { errorText } from '../errorText.js';
import { recordStarts } from './avroCheck.js';
import { CaptureUnreadable, MAX_BLOCK_BYTES, containerFrames, type ContainerHeader, type Frame } from './avroFrames.js';

export { CaptureUnreadable };

export const CAPTURE_SCHEMA = {
  type: 'record',
  name: 'EventData',
  namespace: 'Microsoft.ServiceBus.Messaging',
  fields: [
    { name: 'SequenceNumber', type: 'long' },
    { name: 'Offset', type: 'string' },
    { name: 'EnqueuedTimeUtc', type: 'string' },
    { name: 'SystemProperties', type: { type: 'map', values: ['long', 'double', 'string', 'bytes'] } },
    { name: 'Properties', type: { type: 'map', values: ['long', 'double', 'string', 'bytes', 'null'] } },
    { name: 'Body', type: ['null', 'bytes'] },
  ],
} as const;

export interface CapturedEvent {
  sequenceNumber: number;
  offset: string;
  enqueuedTimeUtc: string;
  systemProperties: Record<string, unknown>;
  properties: Record<string, unknown>;
  body: Buffer | null;
}

const AVRO_TYPE_NAMES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** avsc wraps ambiguous unions ({long: 5}); properties are easier to use unwrapped. */
function unwrap(v: unknown): unknown {
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && AVRO_TYPE_NAMES.has(keys[0]!)) return (v as Record<string, unknown>)[keys[0]!];
  }
  return v;
}

function unwrapMap(m: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m && typeof m === 'object') for (const [k, v] of Object.entries(m)) out[k] = unwrap(v);
  return out;
}

function toEvent(r: Record<string, unknown>): CapturedEvent {
  const body = unwrap(r.Body);
  // Positions key the batches: a file of another schema must not land under NaN.
  const sequenceNumber = Number(unwrap(r.SequenceNumber));
  if (!Number.isSafeInteger(sequenceNumber)) throw new Error('not an Event Hubs Capture record: no integer SequenceNumber');
  return {
    sequenceNumber,
    offset: String(unwrap(r.Offset) ?? ''),
    enqueuedTimeUtc: String(unwrap(r.EnqueuedTimeUtc) ?? ''),
    systemProperties: unwrapMap(r.SystemProperties),
    properties: unwrapMap(r.Properties),
    // Capture writes bytes; a file whose schema declares a string body keeps its text.
    body: Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body, 'utf8') : null,
  };
}

/**
 * Epoch ms of a Capture record's EnqueuedTimeUtc: .NET's invariant form, as Capture writes it
 * ("4/20/2025 10:00:01 AM", UTC), or ISO 8601. NaN when it is neither. Date.parse would read
 * the first as local time. Hand-written: no library reads .NET's invariant date format.
 */
export function captureTimeMs(s: string): number {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(\.\d+)? ?([AP]M)?$/i.exec(s.trim());
  if (!m) return /^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(s) : Number.NaN;
  const [, month, day, year, h, min, sec, frac, ampm] = m;
  let hour = Number(h);
  if (ampm) {
    if (hour < 1 || hour > 12) return Number.NaN;
    hour = (hour % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
  }
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), hour, Number(min), Number(sec), frac ? Math.floor(Number(frac) * 1000) : 0);
  // Date.UTC rolls 2/30 over into March: a date that does not exist is no time.
  const d = new Date(ms);
  return d.getUTCMonth() === Number(month) - 1 && d.getUTCDate() === Number(day) && hour < 24 && Number(min) < 60 && Number(sec) < 60 ? ms : Number.NaN;
}

/** A reader of a file's blocks: its writer's record type and its codec. */
interface Container {
  type: avro.Type;
  inflate: (data: Buffer) => Buffer;
}

/**
 * Capture's codecs. Deflate stops at MAX_BLOCK_BYTES (zlib's maxOutputLength): avsc's own
 * inflated without a limit, so a 1 MB block of a deflate bomb took 1 GiB (3 GiB RSS).
 * Synchronous: a block's round trip to the thread pool cost more than its inflating (a
 * 92 MB file of 64 KiB blocks read in 0.7 s that way, 0.25 s so).
 */
const CODECS = new Map<string, Container['inflate']>([
  ['null', (data) => data],
  [
    'deflate',
    (data) => {
      try {
        return inflateRawSync(data, { maxOutputLength: MAX_BLOCK_BYTES });
      } catch (err) {
        const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
        throw new Error(tooLarge ? `deflate data that inflates past the ${MAX_BLOCK_BYTES}-byte limit` : `deflate data that does not inflate (${errorText(err)})`);
      }
    },
  ],
]);

/** The reader a header asks for; CaptureUnreadable (no retry) when it is no Capture file's. */
function openContainer(header: ContainerHeader): Container {
  const codec = header.meta.get('avro.codec')?.toString('utf8') ?? 'null';
  const inflate = CODECS.get(codec);
  if (!inflate) throw new CaptureUnreadable(`codec ${JSON.stringify(codec.slice(0, 40))} is not one Capture writes (null, deflate)`, false);
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(JSON.parse(header.meta.get('avro.schema')?.toString('utf8') ?? '') as avro.Schema);
  } catch (err) {
    throw new CaptureUnreadable(`its header holds no Avro schema (${errorText(err)})`, false);
  }
  const fields = (type as Partial<avro.types.RecordType>).fields;
  if (type.typeName !== 'record' || !fields?.some((f) => f.name === 'SequenceNumber')) throw new CaptureUnreadable('not an Event Hubs Capture file: its records have no SequenceNumber', false);
  return { type, inflate };
}

/** A block's events, or an Error saying why it has none: the block is decoded whole or not at all. */
function blockEvents(c: Container, count: number, stored: Buffer): CapturedEvent[] {
  // An empty block is allowed (its sync marker was checked); avsc's decoder stopped at one for good.
  if (count === 0) return [];
  const data = c.inflate(stored);
  return recordStarts(c.type, data, count).map((start, i) => {
    try {
      return toEvent(c.type.decode(data, start).value as Record<string, unknown>);
    } catch (err) {
      throw new Error(`record ${i + 1} of ${count}: ${errorText(err)}`);
    }
  });
}

/**
 * What a capture file holds, in file order: its events; damaged stretches (`at`: offset in
 * the file, `reason`: what was wrong), after which reading goes on at the next block that
 * is whole; and a tail when the file ends inside a block (cut, or junk: the caller knows
 * what was announced). Throws CaptureUnreadable (no retry) when the header is no Capture
 * file's. Events come block by block, so a large file never has to fit in memory.
 */
export async function* readCaptureParts(source: NodeJS.ReadableStream | Buffer): AsyncGenerator<CapturePart> {
  let container: Container | undefined;
  try {
    for await (const frame of containerFrames(Buffer.isBuffer(source) ? [source] : source)) {
      if (frame.kind === 'header') container = openContainer(frame.header);
      else if (frame.kind === 'block') yield* blockParts(container!, frame);
      else yield frame;
    }
  } finally {
    // A reader that stops early must not leave the download open, holding its connection.
    if (!Buffer.isBuffer(source) && 'destroy' in source && typeof source.destroy === 'function') source.destroy();
  }
}

function* blockParts(c: Container, block: Extract<Frame, { kind: 'block' }>): Generator<CapturePart> {
  let events: CapturedEvent[];
  try {
    events = blockEvents(c, block.count, block.data);
  } catch (err) {
    yield { kind: 'damaged', at: block.at, bytes: block.frame, reason: errorText(err) };
    return;
  }
  for (const event of events) yield { kind: 'event', event };
}

export type CapturePart = { kind: 'event'; event: CapturedEvent } | Extract<Frame, { kind: 'damaged' | 'tail' }>;

/**
 * The events of a capture file (null and deflate codecs), strictly: damage throws
 * CaptureUnreadable. Where the file ends inside a block (cut) it ends quietly, as Avro
 * readers do; replayCaptureFile counts against what Capture announced.
 */
export async function* readCapture(source: NodeJS.ReadableStream | Buffer): AsyncGenerator<CapturedEvent> {
  for await (const part of readCaptureParts(source)) {
    if (part.kind === 'event') yield part.event;
    else if (part.kind === 'damaged') throw new CaptureUnreadable(`bytes ${part.at}-${part.at + part.bytes.length - 1}: ${part.reason}`, false);
  }
}

/** Write events as a Capture-shaped Avro file (tests, fixtures, `sift` tooling). */
export type CaptureInput = Pick<CapturedEvent, 'sequenceNumber' | 'offset' | 'enqueuedTimeUtc' | 'body'> &
  Partial<Pick<CapturedEvent, 'systemProperties' | 'properties'>>;

export async function writeCapture(events: readonly CaptureInput[], codec: 'null' | 'deflate' = 'deflate', opts: { blockBytes?: number } = {}): Promise<Buffer> {
  // blockBytes: avsc's block size (64 KiB by default); a small one gives a file of many blocks.
  const encoder = new avro.streams.BlockEncoder(CAPTURE_SCHEMA as unknown as avro.Schema, { codec, ...(opts.blockBytes ? { blockSize: opts.blockBytes } : {}) });
  const chunks: Buffer[] = [];
  encoder.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    encoder.on('end', () => resolve());
    encoder.on('error', reject);
  });
  for (const e of events) {
    encoder.write({
      SequenceNumber: e.sequenceNumber,
      Offset: e.offset,
      EnqueuedTimeUtc: e.enqueuedTimeUtc,
      SystemProperties: Object.fromEntries(Object.entries(e.systemProperties ?? {}).map(([k, v]) => [k, wrapValue(v)])),
      Properties: Object.fromEntries(Object.entries(e.properties ?? {}).map(([k, v]) => [k, wrapValue(v)])),
      Body: e.body,
    });
  }
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}

function wrapValue(v: unknown): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return { bytes: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { long: v } : { double: v };
  return { string: String(v) };
}
