// Per-request seeded PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
// from PractRand) seeded through splitmix32 so that every integer seed — 0 and negatives
// included — gives a distinct, well-mixed state. No global state: every dataset owns one Rng,
// and forks derive independent streams from a label, so adding a scenario never shifts
// the benign stream of another.

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
    let total = 0;
    for (const [, w] of table) total += w;
    let x = this.float() * total;
    for (const [item, w] of table) {
      x -= w;
      if (x < 0) return item;
    }
    return (table[table.length - 1] as readonly [T, number])[0];
  }

  /** `n` lower-case hex digits. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, n);
  }

  /** RFC 4122 version-4 shaped UUID from this stream. */
  uuid(): string {
    const h = this.hex(32);
    const v = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Independent stream from the same seed and a label; does not advance this one. */
  fork(label: string): Rng {
    return new Rng(this.seed, `${this.stream}/${label}`);
  }
}
