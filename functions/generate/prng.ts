// Per-request seeded PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
// from PractRand) seeded through splitmix32 so that every integer seed — 0 and negatives
// included — gives a distinct, well-mixed state. No global state: every dataset owns one Rng,
// and forks derive independent streams from a label, so adding a scenario never shifts
// the benign stream of another.
import type { ByteWriter } from './bytes.js';

/** splitmix32 step: used only to expand a seed into sfc32 state words. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over a string, to fold labels and wide seeds into 32 bits. */
export function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Two hex digits per byte value, so a u32 formats with four lookups. */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_DIGITS = '0123456789abcdef';
const hex8 = (u: number): string => (HEX2[u >>> 24] as string) + HEX2[(u >>> 16) & 255] + HEX2[(u >>> 8) & 255] + HEX2[u & 255];

/** Weight totals per table (summed in table order, as `weighted` always did), computed once. */
const totals = new WeakMap<object, number>();

/**
 * A version-4 UUID as the four u32 words it is drawn from: the hex(32) text of a b c d, cut
 * 8-4-4-4-12, with the version nibble (hex digit 12) set to 4 and the variant nibble (digit
 * 16) to 8|(digit & 3). Written as bytes without building its text (see write).
 */
export class Uuid {
  constructor(
    readonly a: number,
    readonly b: number,
    readonly c: number,
    readonly d: number,
  ) {}

  toString(): string {
    const { a, b, c, d } = this;
    const v = HEX_DIGITS[((c >>> 28) & 0x3) | 0x8] as string;
    return `${hex8(a)}-${HEX2[b >>> 24]}${HEX2[(b >>> 16) & 255]}-4${HEX_DIGITS[(b >>> 8) & 15]}${HEX2[b & 255]}-${v}${HEX_DIGITS[(c >>> 24) & 15]}${HEX2[(c >>> 16) & 255]}-${HEX2[(c >>> 8) & 255]}${HEX2[c & 255]}${hex8(d)}`;
  }

  /** toString's text into a writer. */
  write(w: ByteWriter): void {
    const { b, c } = this;
    w.hex(this.a, 8);
    w.byte(0x2d);
    w.hex(b >>> 16, 4);
    w.byte(0x2d);
    w.hex(0x4000 | (b & 0xfff), 4);
    w.byte(0x2d);
    w.hex(((((c >>> 28) & 0x3) | 0x8) << 12) | ((c >>> 16) & 0xfff), 4);
    w.byte(0x2d);
    w.hex(c & 0xffff, 4);
    w.hex(this.d, 8);
  }
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` is any safe integer; `stream` names an independent sub-stream. */
  constructor(
    readonly seed: number,
    readonly stream = '',
  ) {
    // Fold the full 53-bit seed (two 32-bit halves) and the stream label.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const st = { s: fnv1a(stream, (lo ^ Math.imul(hi, 0x27d4eb2f)) >>> 0) ^ hi };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    for (let i = 0; i < 12; i++) this.u32(); // warm up, as the sfc32 reference does
  }

  /** Next uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Pick with weights: `table` is [item, weight][] (weights need not sum to 1). */
  weighted<T>(table: readonly (readonly [T, number])[]): T {
    let total = totals.get(table);
    if (total === undefined) {
      total = 0;
      for (const [, w] of table) total += w;
      totals.set(table, total);
    }
    let x = this.float() * total;
    for (let i = 0; i < table.length; i++) {
      const row = table[i] as readonly [T, number];
      x -= row[1];
      if (x < 0) return row[0];
    }
    return (table[table.length - 1] as readonly [T, number])[0];
  }

  /** `n` lower-case hex digits. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += hex8(this.u32());
    return s.length === n ? s : s.slice(0, n);
  }

  /** RFC 4122 version-4 shaped UUID from this stream. */
  uuid(): string {
    return this.uuidWords().toString();
  }

  /** The same UUID (same draws) as its four words: text only when asked for. */
  uuidWords(): Uuid {
    const a = this.u32();
    const b = this.u32();
    const c = this.u32();
    return new Uuid(a, b, c, this.u32());
  }

  /** Independent stream from the same seed and a label; does not advance this one. */
  fork(label: string): Rng {
    return new Rng(this.seed, `${this.stream}/${label}`);
  }
}
