// The bodies a command reads from files, folders and stdin (sift process, sift send, npm start
// --input), one rule for all: gzip is unpacked (the dataset API hands out .gz files); JSON
// lines when the first non-blank line is a complete JSON value, else one JSON document (a
// pretty-printed body, or an array whose elements are bodies), else lines again.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isUtf8 } from 'node:buffer';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { EventInput } from '../../functions/contracts.js';

/**
 * The stream, gunzipped when it starts with gzip's magic bytes (whatever the file is called,
 * stdin too). A damaged gzip stream fails the read with zlib's error. Stopping early (an
 * error, a reader that is done) closes the source: stdin or the file is not left open.
 */
export async function openInput(stream: Readable): Promise<Readable> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Two bytes decide, however the source cuts its chunks (a slow pipe may send one byte first).
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const r = await chunks.next();
    if (r.done) break;
    head = Buffer.concat([head, Buffer.from(r.value)]);
  }
  let first: Buffer | null = head.length > 0 ? head : null;
  const whole = new Readable({
    read() {
      if (first !== null) {
        this.push(first);
        first = null;
        return;
      }
      chunks.next().then((r) => this.push(r.done ? null : r.value), (err: Error) => this.destroy(err));
    },
    // Closed early (a gzip error downstream, a reader that is done): the source goes too, so
    // stdin or the file is not left open (Readable.from could not: its generator waited on the
    // source's next chunk, and a waiting generator cannot be returned from).
    destroy(err, callback) {
      stream.destroy();
      callback(err);
    },
  });
  if (head[0] !== 0x1f || head[1] !== 0x8b) return whole;
  const gunzip = createGunzip();
  pipeline(whole, gunzip, () => undefined);
  return gunzip;
}

/** What a folder contributes: its body files, gzipped or not, by name. Subfolders are not searched. */
const BODY_FILE = /\.(jsonl|ndjson|json)(\.gz)?$/i;
export const bodyFilesIn = (dir: string, names: readonly string[]): string[] => names.filter((f) => BODY_FILE.test(f)).sort().map((f) => path.join(dir, f));
export const noBodyFiles = (dir: string): string => `no body files in ${dir}: it holds no .json, .jsonl or .ndjson file (gzipped or not); subfolders are not searched`;

/**
 * The files a path given as input stands for: itself, or a folder's body files. A path that
 * cannot be read, or a folder with no body file in it, is an error naming it.
 */
export async function inputFiles(input: string): Promise<string[]> {
  const info = await stat(input).catch((err: Error) => {
    throw new Error(`cannot read ${input}: ${err.message}`);
  });
  const files = info.isDirectory() ? bodyFilesIn(input, await readdir(input)) : [input];
  if (files.length === 0) throw new Error(noBodyFiles(input));
  return files;
}

/**
 * Bodies from files, folders and stdin ('-'; also when `inputs` is empty), in argument order,
 * as bytes (bodiesOf). A file that holds none (empty, blank lines only) is passed to `onEmpty`; a folder
 * with no body file in it is an error, as is an input that cannot be read: both named.
 */
export async function* recordedBodies(inputs: readonly string[], onEmpty: (file: string) => void = () => undefined, stdin: Readable = process.stdin): AsyncGenerator<Buffer> {
  for (const input of inputs.length ? inputs : ['-']) {
    if (input === '-') {
      yield* bodiesOf(stdin, 'stdin');
      continue;
    }
    for (const f of await inputFiles(input)) {
      let n = 0;
      for await (const b of bodiesOf(createReadStream(f), f)) {
        n++;
        yield b;
      }
      if (n === 0) onEmpty(f);
    }
  }
}

/**
 * One input's bodies: a line or document as its bytes (never decoded here: invalid UTF-8
 * reaches the envelope, which dead-letters it exactly), an array's elements re-serialized.
 */
async function* bodiesOf(stream: Readable, name: string): AsyncGenerator<Buffer> {
  try {
    for await (const ev of inputEvents(await openInput(stream), 'file')) yield Buffer.isBuffer(ev.body) ? ev.body : Buffer.from(JSON.stringify(ev.body));
  } catch (err) {
    throw new Error(`cannot read ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Byte lines of a stream (LF or CRLF), without decoding: Buffers straight to the envelope.
 * The pieces of a line that spans chunks are joined once, when its end arrives (joining the
 * leftover to every chunk made a 50 MB line cost 30 s).
 */
export async function* byteLines(stream: Readable): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  const take = (tail: Buffer): Buffer => {
    const line = pending.length ? Buffer.concat([...pending, tail]) : tail;
    pending = [];
    return line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      yield take(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length) {
    const last = Buffer.concat(pending);
    pending = [];
    if (last.length) yield last;
  }
}

function isBlankBytes(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return false;
  }
  return true;
}

function stripBom(b: Buffer): Buffer {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
}

/**
 * The elements when the line is a JSON array, else null (only lines starting with '[' are
 * parsed here). Not UTF-8: null, so the line goes on as its bytes and the envelope
 * dead-letters it exactly (decoded here, its bad bytes became U+FFFD and landed).
 */
function arrayItems(line: Buffer): unknown[] | null {
  const b = stripBom(line);
  let i = 0;
  while (i < b.length && (b[i] === 32 || b[i] === 9)) i++;
  if (b[i] !== 0x5b || !isUtf8(b)) return null;
  try {
    const v: unknown = JSON.parse(b.toString('utf8'));
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** True when the bytes are one complete JSON value (decides JSONL vs one multi-line document). */
function isCompleteJson(b: Buffer): boolean {
  try {
    JSON.parse(stripBom(b).toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * EventInputs from the input, in order. JSONL when the first non-blank line is a complete
 * JSON value; otherwise the whole input is one JSON document (a pretty-printed body or an
 * array of bodies, each element its own event), falling back to lines if it does not parse.
 */
export async function* inputEvents(stream: Readable, source: string): AsyncGenerator<EventInput> {
  const position = (seq: number, offset: string) => ({ source, partitionId: '0', sequenceNumber: seq, offset });
  // Manual next() for the first line: breaking a for-await would close the generator.
  const lines = byteLines(stream);
  let seq = 0;
  let lineNo = 0;
  let first: Buffer | undefined;
  for (;;) {
    const r = await lines.next();
    if (r.done) break;
    lineNo++;
    if (isBlankBytes(r.value)) continue;
    first = r.value;
    break;
  }
  if (!first) return;
  if (isCompleteJson(first)) {
    // A line holding a JSON array (`jq -c` of an array of bodies) is split like a
    // pretty-printed array: each element its own event, not the whole line one body.
    const lineEvents = function* (line: Buffer, n: number): Generator<EventInput> {
      const items = arrayItems(line);
      if (!items) yield { body: line, position: position(seq++, `line:${n}`) };
      else for (let i = 0; i < items.length; i++) yield { body: items[i], position: position(seq++, `line:${n}/item:${i}`) };
    };
    yield* lineEvents(first, lineNo);
    for await (const line of lines) {
      lineNo++;
      if (isBlankBytes(line)) continue;
      yield* lineEvents(line, lineNo);
    }
    return;
  }
  // One multi-line document.
  const firstLine = lineNo;
  const parts: Buffer[] = [first];
  for await (const line of lines) parts.push(line);
  const doc = Buffer.concat(parts.flatMap((p, i) => (i ? [Buffer.from('\n'), p] : [p])));
  let value: unknown;
  let parsed = false;
  try {
    value = JSON.parse(stripBom(doc).toString('utf8'));
    parsed = true;
  } catch {
    /* not one document: fall back to lines */
  }
  // An array's elements go on parsed, so only valid UTF-8 is split (see arrayItems).
  if (parsed && Array.isArray(value) && isUtf8(doc)) {
    for (let i = 0; i < value.length; i++) yield { body: value[i], position: position(seq++, `item:${i}`) };
    return;
  }
  // One document, or one that does not parse and has no line that does (a pretty-printed
  // body or array with a mistake in it): one body, one dead letter holding all of it, not a
  // letter per line fragment that no replay could put together again.
  if (parsed || !parts.some((p, i) => i > 0 && !isBlankBytes(p) && isCompleteJson(p))) {
    yield { body: doc, position: position(seq++, `line:${firstLine}`) };
    return;
  }
  // JSON lines whose first line is bad: each line its own body.
  for (let i = 0; i < parts.length; i++) {
    if (isBlankBytes(parts[i]!)) continue;
    yield { body: parts[i], position: position(seq++, `line:${firstLine + i}`) };
  }
}

