// Output written straight into Buffers: each piece of a line is encoded into the current
// chunk as it is produced, constant pieces as bytes encoded once. Building the line as a
// string first meant a rope of dozens of pieces, flattened, then encoded again as UTF-8 —
// two copies of every byte and the garbage of both.

/** Buffer's own encoder, without the argument checks and encoding dispatch of `write()`. */
type Utf8Buffer = Buffer & { utf8Write(s: string, offset: number): number };

const alloc = (size: number): Utf8Buffer => Buffer.allocUnsafe(size) as Utf8Buffer;

/** Per byte value, 1 when a string holding it must go through its escaper (all of 128-255 are set). */
export type EscapeBytes = Uint8Array;

/** EscapeBytes flagging the ASCII codes `ascii` needs escaped. */
export function escapeBytes(ascii: (c: number) => boolean): EscapeBytes {
  return Uint8Array.from({ length: 256 }, (_, c) => (c >= 128 || ascii(c) ? 1 : 0));
}

/** Character codes of '0'-'9', 'a'-'f'. */
const HEX_CODES = Uint8Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));

/** UTF-8 bytes of a constant piece, encoded once. */
export const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/**
 * Appends pieces to fixed-size chunks and hands each full chunk to `emit` (which keeps
 * it: a chunk is never reused). Every piece is whole UTF-8 (a string is encoded on its own,
 * so a piece must not end inside a surrogate pair the next one completes).
 */
export class ByteWriter {
  private buf: Utf8Buffer;
  private pos = 0;

  constructor(
    private readonly chunkBytes: number,
    private readonly emit: (chunk: Buffer) => void,
  ) {
    this.buf = alloc(chunkBytes);
  }

  /** Bytes written to the current chunk. */
  get pending(): number {
    return this.pos;
  }

  /** A string, UTF-8 encoded (lone surrogates become U+FFFD, as Buffer.from writes them). */
  str(s: string): void {
    // At most 3 bytes per UTF-16 unit.
    if (this.pos + s.length * 3 > this.buf.length) this.next(s.length * 3);
    this.pos += this.buf.utf8Write(s, this.pos);
  }

  /**
   * A string that usually needs no escaping, escaped by `escape` when it does: encoded first,
   * then its bytes checked against `needs` (no separate pass over a rope's characters). A
   * flagged byte — and every non-ASCII byte is flagged (a lone surrogate may hide behind one)
   * — sends it back through `escape`, whose text is written instead.
   */
  escaped(s: string, escape: (s: string) => string, needs: EscapeBytes): void {
    if (this.pos + s.length * 3 > this.buf.length) this.next(s.length * 3);
    const buf = this.buf;
    const start = this.pos;
    const end = start + buf.utf8Write(s, start);
    for (let i = start; i < end; i++) {
      if (needs[buf[i] as number] === 1) {
        this.str(escape(s));
        return;
      }
    }
    this.pos = end;
  }

  /** `n` (0 ≤ n < 16^width, width ≤ 8) as `width` lower-case hex digits, zero-padded. */
  hex(n: number, width: number): void {
    if (this.pos + width > this.buf.length) this.next(width);
    const buf = this.buf;
    for (let i = this.pos + width - 1; i >= this.pos; i--) {
      buf[i] = HEX_CODES[n & 15] as number;
      n >>>= 4;
    }
    this.pos += width;
  }

  /** A number as String(n) writes it; whole numbers from 0 to 2^53 as digits, without the string. */
  int(n: number): void {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) {
      this.str(String(n));
      return;
    }
    let width = 1;
    for (let p = 10; p <= n; p *= 10) width++;
    this.digits(n, width);
  }

  /** One byte (an ASCII character code). */
  byte(c: number): void {
    if (this.pos + 1 > this.buf.length) this.next(1);
    this.buf[this.pos++] = c;
  }

  /** `n` (a whole number, 0 ≤ n < 10^width) as `width` decimal digits, zero-padded. */
  digits(n: number, width: number): void {
    if (this.pos + width > this.buf.length) this.next(width);
    const buf = this.buf;
    let i = this.pos + width - 1;
    // Past 2^31 the division goes through doubles; below it, integer division.
    for (; i >= this.pos && n >= 0x80000000; i--) {
      const q = Math.floor(n / 10);
      buf[i] = 48 + (n - q * 10);
      n = q;
    }
    for (; i >= this.pos; i--) {
      const q = (n / 10) | 0;
      buf[i] = 48 + (n - q * 10);
      n = q;
    }
    this.pos += width;
  }

  /** Pre-encoded bytes. */
  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.next(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Emit what has been written (if anything). */
  flush(): void {
    const chunk = this.take();
    if (chunk) this.emit(chunk);
  }

  /** What has been written and not emitted, taken out (null if nothing). */
  take(): Buffer | null {
    if (this.pos === 0) return null;
    const rest = this.buf.subarray(0, this.pos);
    this.buf = alloc(this.chunkBytes);
    this.pos = 0;
    return rest;
  }

  /** Emit the chunk and start one with room for at least `need` bytes. */
  private next(need: number): void {
    this.flush();
    if (need > this.buf.length) this.buf = alloc(need);
  }
}

/** The text a writing function produces (tests, previews and the string forms of writers). */
export function textOf(write: (w: ByteWriter) => void): string {
  const chunks: Buffer[] = [];
  const w = new ByteWriter(4096, (c) => chunks.push(c));
  write(w);
  w.flush();
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Encoded bytes of values drawn from small sets (verbs, user agents, pods), by value. Bounded:
 * past `max` distinct values new ones are encoded each time, so a field that turns out to be
 * unique per line costs a lookup, not memory.
 */
export class FragmentCache {
  private readonly map = new Map<string, Uint8Array>();

  constructor(
    private readonly encode: (s: string) => string,
    private readonly max = 1024,
  ) {}

  /** The bytes of `s`, or undefined when `s` is new and the cache is full (the caller writes it). */
  cached(s: string): Uint8Array | undefined {
    let b = this.map.get(s);
    if (b === undefined && this.map.size < this.max) this.map.set(s, (b = utf8(this.encode(s))));
    return b;
  }

  get(s: string): Uint8Array {
    let b = this.map.get(s);
    if (b === undefined) {
      b = utf8(this.encode(s));
      if (this.map.size < this.max) this.map.set(s, b);
    }
    return b;
  }
}
