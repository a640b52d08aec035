// Frames an Avro object container file (the Avro spec's framing: a header of magic bytes,
// metadata and a 16-byte sync marker, then blocks of object count, byte size, data and that
// sync marker again) out of a download's chunks, with limits, so a damaged or hostile
// capture file costs bounded memory and time, and damage costs only the bytes it touched:
// - the header may take MAX_HEADER_BYTES (Capture writes ~500 bytes);
// - a block may take MAX_BLOCK_BYTES;
// - after damage (a block prefix that is no count and size, a size over the limit, a sync
//   marker that is not the file's) the bytes up to the next sync marker come out as damaged,
//   in pieces of at most DAMAGED_PIECE_BYTES, and framing resumes after that marker: writers
//   repeat the marker after every block, so the blocks after the damage are recovered.
// Each block comes out whole, in one buffer, read once: avsc's BlockDecoder re-joined a
// partial block on every chunk (an 80 MB block in 64 KiB chunks took 43 s).

/**
 * A capture file that cannot be replayed whole. `retry`: whether reading it again may succeed
 * (a file that ends before the events Capture announced, a failed download: the endpoint
 * answers 500 and Event Grid retries; the batches before landed under their own keys, so a
 * retry adds nothing twice) or cannot (a header that is no Capture container's: the same
 * bytes fail the same way, and the endpoint answers 400).
 */
export class CaptureUnreadable extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
    this.name = 'CaptureUnreadable';
  }
}

/** Capture writes a header of ~500 bytes (schema, codec, sync marker); a header still open after this is no Capture header. */
export const MAX_HEADER_BYTES = 1 << 20;
/**
 * Bytes a block may take in the file and once inflated. An event is at most 1 MB (Standard,
 * Premium; 20 MB on Dedicated with large messages), and Avro writers close a block once it
 * passes their block size (avsc 64 KiB, Apache Avro's Java writer 64,000 bytes by default),
 * so a block is that plus one event at most. Capture does not document its writer's size:
 * 64 MiB leaves room for three of the largest events, or a thousand blocks of 64 KiB. A block
 * past it is damage (a garbled size, a deflate bomb) and costs at most this much memory.
 */
export const MAX_BLOCK_BYTES = 64 << 20;
/** Damaged bytes come out (and become dead letters) in pieces of at most this many. */
export const DAMAGED_PIECE_BYTES = 1 << 20;
/** Download chunks are joined up to this size: a queue of tiny chunks made each look-up walk them all. */
const MIN_CHUNK_BYTES = 64 << 10;

const MAGIC = Buffer.from('Obj\x01', 'latin1');
const SYNC_BYTES = 16;
/** A block starts with two varint longs (object count, byte size): at most 8 bytes each here. */
const BLOCK_PREFIX_MAX = 16;

export interface ContainerHeader {
  meta: Map<string, Buffer>;
  sync: Buffer;
}

export type Frame =
  | { kind: 'header'; header: ContainerHeader; bytes: number }
  /** A block whose sync marker is the file's; `data` as stored (compressed), `frame` all of its bytes. */
  | { kind: 'block'; at: number; count: number; data: Buffer; frame: Buffer }
  /** Bytes of a damaged stretch, `at` their offset in the file. */
  | { kind: 'damaged'; at: number; bytes: Buffer; reason: string }
  /** The file ends inside a frame: cut, or ending in bytes that are no block (the caller tells by what was announced). */
  | { kind: 'tail'; at: number; bytes: Buffer };

export type Varint = { value: number; next: number } | 'short' | 'invalid';

/**
 * The zig-zag varint long at `pos` (Avro's long): 'short' when `buf` ends inside it,
 * 'invalid' past 2^53 (no count, size or index this reader takes is that large).
 */
export function readLong(buf: Buffer, pos: number): Varint {
  let n = 0;
  for (let i = 0; i < 8; i++) {
    const b = buf[pos + i];
    if (b === undefined) return 'short';
    n += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return n > Number.MAX_SAFE_INTEGER ? 'invalid' : { value: n % 2 ? -(n + 1) / 2 : n / 2, next: pos + i + 1 };
  }
  return 'invalid';
}

type Bytes = { bytes: Buffer; next: number } | 'short';

/** Avro bytes (a length, then as many bytes) at `pos`. */
function readBytes(buf: Buffer, pos: number): Bytes {
  const len = readLong(buf, pos);
  if (len === 'short') return 'short';
  if (len === 'invalid' || len.value < 0) throw new CaptureUnreadable('its header holds a length that is no length', false);
  return len.next + len.value > buf.length ? 'short' : { bytes: buf.subarray(len.next, len.next + len.value), next: len.next + len.value };
}

/** The header at the start of `buf` (its metadata map, block by block, then the sync marker), or 'short'. */
function parseHeader(buf: Buffer): (ContainerHeader & { bytes: number }) | 'short' {
  if (buf.length < MAGIC.length) return 'short';
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new CaptureUnreadable('not an Avro object container file (no Obj\\x01 magic)', false);
  const meta = new Map<string, Buffer>();
  let pos = MAGIC.length;
  for (;;) {
    const count = readLong(buf, pos);
    if (count === 'short') return 'short';
    if (count === 'invalid') throw new CaptureUnreadable('its header holds a metadata count that is no count', false);
    pos = count.next;
    if (count.value === 0) break;
    if (count.value < 0) {
      const size = readLong(buf, pos); // the block's byte size: not needed
      if (size === 'short') return 'short';
      if (size === 'invalid') throw new CaptureUnreadable('its header holds a size that is no size', false);
      pos = size.next;
    }
    // Each entry takes two bytes at least: a count past the data returns 'short' soon, and the header limit ends it.
    for (let n = Math.abs(count.value); n > 0; n--) {
      const key = readBytes(buf, pos);
      if (key === 'short') return 'short';
      const value = readBytes(buf, key.next);
      if (value === 'short') return 'short';
      meta.set(key.bytes.toString('utf8'), value.bytes);
      pos = value.next;
    }
  }
  if (buf.length < pos + SYNC_BYTES) return 'short';
  return { meta, sync: Buffer.from(buf.subarray(pos, pos + SYNC_BYTES)), bytes: pos + SYNC_BYTES };
}

type Prefix = { count: number; size: number; next: number };

/** A block's object count and byte size at the start of `head`: 'short', or why they are none. */
function blockPrefix(head: Buffer): Prefix | 'short' | { damage: string } {
  const count = readLong(head, 0);
  if (count === 'short') return 'short';
  if (count === 'invalid' || count.value < 0) return { damage: 'a block whose object count is no count' };
  const size = readLong(head, count.next);
  if (size === 'short') return 'short';
  if (size === 'invalid' || size.value < 0) return { damage: 'a block whose byte size is no size' };
  if (size.value > MAX_BLOCK_BYTES) return { damage: `a block of ${size.value} bytes, over the ${MAX_BLOCK_BYTES}-byte limit` };
  return { count: count.value, size: size.value, next: size.next };
}

/** Chunks queued in arrival order, read without joining them until a frame is whole. */
class ChunkQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Up to `n` bytes from byte `from`, copied only when they span chunks. */
  peek(from: number, n: number): Buffer {
    const parts: Buffer[] = [];
    let want = Math.min(n, this.length - from);
    for (const c of this.chunks) {
      if (want <= 0) break;
      if (from >= c.length) {
        from -= c.length;
        continue;
      }
      const part = c.subarray(from, from + want);
      parts.push(part);
      want -= part.length;
      from = 0;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** The first `n` bytes, removed from the queue. */
  take(n: number): Buffer {
    const out = this.peek(0, n);
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
    return out;
  }
}

/** Frames out of pushed chunks; `end()` at the end of input. Relies on chunks of MIN_CHUNK_BYTES (containerFrames joins them). */
class ContainerFramer {
  private readonly queue = new ChunkQueue();
  /** File offset of the queue's first byte. */
  private at = 0;
  private sync: Buffer | undefined;
  /** Set while looking for the sync marker after damage; `searched`: bytes of the queue looked through. */
  private damage: { reason: string; searched: number } | undefined;

  *push(chunk: Buffer): Generator<Frame> {
    this.queue.push(chunk);
    yield* this.frames(false);
  }

  *end(): Generator<Frame> {
    yield* this.frames(true);
    while (this.queue.length > 0) {
      // The file ends inside a frame. A sync marker in it means its size was wrong (a block
      // holds no marker of its own file): damage, after which framing goes on.
      const reason = this.sync && this.queue.peek(0, this.queue.length).includes(this.sync) ? this.overrunReason() : undefined;
      if (reason) {
        this.damage = { reason, searched: 0 };
        yield* this.frames(true);
      } else yield { kind: 'tail', at: this.at, bytes: this.take(this.queue.length) };
    }
  }

  private *frames(atEnd: boolean): Generator<Frame> {
    for (;;) {
      const next = !this.sync ? this.header() : this.damage ? this.damaged(atEnd) : this.block(atEnd);
      if (!next) return;
      yield* next;
    }
  }

  private header(): Frame[] | undefined {
    const q = this.queue;
    const parsed = parseHeader(q.peek(0, Math.min(q.length, MAX_HEADER_BYTES)));
    if (parsed === 'short') {
      if (q.length >= MAX_HEADER_BYTES) throw new CaptureUnreadable(`no whole Avro container header in its first ${MAX_HEADER_BYTES} bytes (Capture writes ~500)`, false);
      return undefined;
    }
    this.take(parsed.bytes);
    this.sync = parsed.sync;
    return [{ kind: 'header', header: { meta: parsed.meta, sync: parsed.sync }, bytes: parsed.bytes }];
  }

  private block(atEnd: boolean): Frame[] | undefined {
    const q = this.queue;
    const prefix = blockPrefix(q.peek(0, BLOCK_PREFIX_MAX));
    if (prefix === 'short') return undefined;
    if ('damage' in prefix) return this.startDamage(prefix.damage, atEnd);
    const bytes = prefix.next + prefix.size + SYNC_BYTES;
    if (q.length < bytes) return undefined;
    if (!q.peek(bytes - SYNC_BYTES, SYNC_BYTES).equals(this.sync!)) return this.startDamage('a block not followed by the sync marker', atEnd);
    const at = this.at;
    const frame = this.take(bytes);
    return [{ kind: 'block', at, count: prefix.count, data: frame.subarray(prefix.next, bytes - SYNC_BYTES), frame }];
  }

  /** Damage from the queue's first byte on: its first piece, or none while more bytes are needed. */
  private startDamage(reason: string, atEnd: boolean): Frame[] {
    this.damage = { reason, searched: 0 };
    return this.damaged(atEnd) ?? [];
  }

  /** The next piece of a damaged stretch: up to and with the next sync marker, or DAMAGED_PIECE_BYTES of it. */
  private damaged(atEnd: boolean): Frame[] | undefined {
    const q = this.queue;
    const d = this.damage!;
    const window = Math.min(q.length, DAMAGED_PIECE_BYTES + SYNC_BYTES - 1);
    // A marker may straddle what was looked through before: look again from 15 bytes back.
    const from = Math.max(0, d.searched - (SYNC_BYTES - 1));
    const hit = q.peek(from, window - from).indexOf(this.sync!);
    if (hit >= 0) {
      this.damage = undefined;
      return [this.piece(from + hit + SYNC_BYTES, d.reason)];
    }
    d.searched = window;
    if (window === DAMAGED_PIECE_BYTES + SYNC_BYTES - 1) {
      d.searched -= DAMAGED_PIECE_BYTES;
      return [this.piece(DAMAGED_PIECE_BYTES, d.reason)];
    }
    if (!atEnd || q.length === 0) return undefined;
    // No marker up to the end of the file: all of it is damage.
    this.damage = undefined;
    return [this.piece(q.length, d.reason)];
  }

  private overrunReason(): string {
    const prefix = blockPrefix(this.queue.peek(0, BLOCK_PREFIX_MAX));
    const claim = typeof prefix === 'object' && 'size' in prefix ? ` of ${prefix.size} bytes` : '';
    return `a block${claim} that runs over the next sync marker and past the end of the file`;
  }

  private piece(n: number, reason: string): Frame {
    const at = this.at;
    return { kind: 'damaged', at, bytes: this.take(n), reason };
  }

  private take(n: number): Buffer {
    this.at += n;
    return this.queue.take(n);
  }
}

/** Chunks of at least MIN_CHUNK_BYTES (the last may be shorter), as they came when large enough. */
async function* joined(input: AsyncIterable<Buffer | string> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let size = 0;
  for await (const c of input) {
    const chunk = Buffer.isBuffer(c) ? c : Buffer.from(c);
    held.push(chunk);
    size += chunk.length;
    if (size >= MIN_CHUNK_BYTES) {
      yield held.length === 1 ? held[0]! : Buffer.concat(held, size);
      held = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(held, size);
}

/**
 * The frames of a container file: its header, then each block whole, damaged stretches in
 * pieces, and a tail when it ends inside a frame. Throws CaptureUnreadable (no retry) when
 * the header is no container header or over MAX_HEADER_BYTES.
 */
export async function* containerFrames(input: AsyncIterable<Buffer | string> | Iterable<Buffer>): AsyncGenerator<Frame> {
  const framer = new ContainerFramer();
  for await (const chunk of joined(input)) yield* framer.push(chunk);
  yield* framer.end();
}
