// Event Hubs Capture files: Avro object container files whose records are the captured
// events. The writer's schema travels in the file header, so any Capture file decodes;
// CAPTURE_SCHEMA is the documented shape (used by tests and tools to write one).
import { Readable } from 'node:stream';
import avro from 'avsc';
import { wholeFrames } from './avroFrames.js';

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

/**
 * Stream captured events out of an Avro container (null and deflate codecs). Records are
 * yielded as they decode, so a large capture file never has to fit in memory.
 */
export async function* readCapture(source: NodeJS.ReadableStream | Buffer): AsyncGenerator<CapturedEvent> {
  const download = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  // Whole frames per write: avsc re-copies a partial block on every chunk it gets.
  const input = Readable.from(wholeFrames(download));
  const decoder = new avro.streams.BlockDecoder();
  input.on('error', (e: Error) => decoder.destroy(e));
  input.pipe(decoder);
  try {
    for await (const record of decoder) yield toEvent(record as Record<string, unknown>);
  } finally {
    // A reader that stops early (or a record that is no Capture record) must not leave the
    // download open and paused, holding its connection.
    input.unpipe(decoder);
    decoder.destroy();
    input.destroy();
    if ('destroy' in download && typeof download.destroy === 'function') download.destroy();
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
