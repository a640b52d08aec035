// Synthetic clock and allocation-light time formatting. Times are integer microseconds
// since the Unix epoch (exact in a double until year 2255). Formatting splits a time into
// day + time-of-day with arithmetic and converts the day through Date only when it changes,
// so a million lines cost a handful of Date objects.
import { utf8, type ByteWriter } from './bytes.js';
import type { Rng } from './prng.js';

export const US_PER_MS = 1_000;
export const US_PER_SEC = 1_000_000;
export const US_PER_DAY = 86_400_000_000;

/** Default start when a request omits `start`: fixed, never the wall clock. */
export const DEFAULT_START = '2024-01-01T00:00:00.000Z';
/** Default rate when a request gives neither `end` nor `rate` (events per second). */
export const DEFAULT_RATE = 10;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;
const padN = (n: number, w: number): string => {
  const s = String(n);
  return s.length >= w ? s : '0'.repeat(w - s.length) + s;
};

interface DayParts {
  day: number;
  /** 'YYYY-MM-DD' */
  ymd: string;
  /** 'Mmm dd' with the day space-padded (RFC 3164) */
  bsd: string;
  /** 'MMDD' (klog header) */
  mmdd: string;
  year: number;
}

/** First microsecond of year 10000, where toISOString switches to six-digit years. */
const YEAR_10000_US = 253_402_300_800_000_000;
/** First microsecond of year 0000: below it toISOString writes signed six-digit years. */
const YEAR_0_US = -62_167_219_200_000_000;

const Z = 0x5a;

/** '000'..'999' */
const THREE: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** Fraction of a second with 6 digits, by table when micro is a whole number in range. */
const six = (micro: number): string =>
  micro >= 0 && micro < US_PER_SEC && Math.floor(micro) === micro ? (THREE[Math.floor(micro / 1000)] as string) + THREE[micro % 1000] : padN(micro, 6);

/**
 * Formats times; keeps one cached day so consecutive events share the date work, and one
 * cached second per shape (ISO, BSD, klog) so events in the same second share the rest:
 * at ordinary rates most lines only format their fraction.
 */
export class TimeFormat {
  private cached: DayParts = TimeFormat.dayParts(Number.NaN);
  private isoSec = Number.NaN;
  /** 'YYYY-MM-DDTHH:MM:SS' of isoSec */
  private isoHead = '';
  private isoBytesSec = Number.NaN;
  /** 'YYYY-MM-DDTHH:MM:SS.' of isoBytesSec, encoded */
  private isoBytes: Uint8Array = new Uint8Array(0);
  private bsdSec = Number.NaN;
  private bsdText = '';
  private klogSec = Number.NaN;
  /** 'MMDD hh:mm:ss' of klogSec */
  private klogHead = '';

  private static dayParts(day: number): DayParts {
    if (Number.isNaN(day)) return { day, ymd: '', bsd: '', mmdd: '', year: 0 };
    const d = new Date(day * 86_400_000);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    const dd = d.getUTCDate();
    return {
      day,
      ymd: `${padN(y, 4)}-${pad2(m + 1)}-${pad2(dd)}`,
      bsd: `${MONTHS[m]} ${dd < 10 ? ' ' : ''}${dd}`,
      mmdd: pad2(m + 1) + pad2(dd),
      year: y,
    };
  }

  private parts(us: number): DayParts {
    const day = Math.floor(us / US_PER_DAY);
    if (day !== this.cached.day) this.cached = TimeFormat.dayParts(day);
    return this.cached;
  }

  /** 'HH:MM:SS' of the time of day. */
  private hms(us: number): string {
    const sec = Math.floor((us - Math.floor(us / US_PER_DAY) * US_PER_DAY) / US_PER_SEC);
    return `${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor(sec / 60) % 60)}:${pad2(sec % 60)}`;
  }

  /** Fraction of the second with `digits` digits (1..9; beyond 6 pads zeros). */
  private frac(us: number, digits: number): string {
    const s = six(us - Math.floor(us / US_PER_SEC) * US_PER_SEC);
    return digits === 6 ? s : digits < 6 ? s.slice(0, digits) : s + (digits === 7 ? '0' : '0'.repeat(digits - 6));
  }

  /** 'YYYY-MM-DDTHH:MM:SS' of the second of `us`. */
  private isoHeadOf(us: number): string {
    const sec = Math.floor(us / US_PER_SEC);
    if (sec !== this.isoSec) {
      this.isoHead = `${this.parts(us).ymd}T${this.hms(us)}`;
      this.isoSec = sec;
    }
    return this.isoHead;
  }

  /** ISO-8601 UTC with `digits` fractional digits (0 → none): 2024-01-01T00:00:00.123Z */
  iso(us: number, digits = 3): string {
    const head = this.isoHeadOf(us);
    return digits > 0 ? `${head}.${this.frac(us, digits)}Z` : `${head}Z`;
  }

  /**
   * iso(us, 6 or 7) into a writer without building the string: the second's head as bytes
   * (cached per second), the fraction as digits. Whatever iso would not write from a table
   * (a fraction that is not a whole number of microseconds) goes through iso itself.
   */
  writeIso(w: ByteWriter, us: number, digits: 6 | 7): void {
    const sec = Math.floor(us / US_PER_SEC);
    const micro = us - sec * US_PER_SEC;
    if (!(micro >= 0 && micro < US_PER_SEC && Math.floor(micro) === micro)) {
      w.str(this.iso(us, digits));
      return;
    }
    if (sec !== this.isoBytesSec) {
      this.isoBytes = utf8(this.isoHeadOf(us) + '.');
      this.isoBytesSec = sec;
    }
    w.bytes(this.isoBytes);
    if (digits === 7) w.digits(micro * 10, 7);
    else w.digits(micro, 6);
    w.byte(Z);
  }

  /**
   * Microseconds → RFC 3339 with 6 digits, as audit timestamps are written: iso(us, 6) for
   * years 0000-9999, which covers times before 1970 (a requestReceivedTimestamp is the event
   * time minus the request latency, so a dataset starting at 1970-01-01 has some). Outside,
   * the Date path with toISOString's expanded years; the fraction is the remainder counted
   * from the second's floor, never negative.
   */
  micro(us: number): string {
    if (us >= YEAR_0_US && us < YEAR_10000_US) return this.iso(us, 6);
    const sec = Math.floor(us / US_PER_SEC);
    return `${new Date(sec * 1000).toISOString().slice(0, -5)}.${six(us - sec * US_PER_SEC)}Z`;
  }

  /** micro(us) into a writer. */
  writeMicro(w: ByteWriter, us: number): void {
    if (us >= YEAR_0_US && us < YEAR_10000_US) this.writeIso(w, us, 6);
    else w.str(this.micro(us));
  }

  /** RFC 3164 TIMESTAMP: 'Mmm dd hh:mm:ss', day space-padded, no year, no zone. */
  bsd(us: number): string {
    const sec = Math.floor(us / US_PER_SEC);
    if (sec !== this.bsdSec) {
      this.bsdText = `${this.parts(us).bsd} ${this.hms(us)}`;
      this.bsdSec = sec;
    }
    return this.bsdText;
  }

  /** klog header date+time: 'MMDD hh:mm:ss.uuuuuu' */
  klog(us: number): string {
    const sec = Math.floor(us / US_PER_SEC);
    if (sec !== this.klogSec) {
      this.klogHead = `${this.parts(us).mmdd} ${this.hms(us)}`;
      this.klogSec = sec;
    }
    return `${this.klogHead}.${this.frac(us, 6)}`;
  }

  /** Seconds since epoch with milliseconds, as in auditd 'audit(1704067200.123:42)'. */
  static epochMs(us: number): string {
    const ms = Math.floor(us / US_PER_MS);
    return `${Math.floor(ms / 1000)}.${padN(ms % 1000, 3)}`;
  }
}

export interface ClockSpec {
  startUs: number;
  endUs?: number;
  rate?: number;
  count: number;
  /** Times are whole multiples of this many µs (the precision the records carry); default 1. */
  unitUs?: number;
}

/** The first whole `unitUs` at or after `startUs`: where a clock of that unit starts. */
export const firstUnitUs = (startUs: number, unitUs = 1): number => Math.ceil(startUs / unitUs) * unitUs;

/**
 * Monotone event times. With `end`: the span is cut into `count` equal slots and each event
 * falls at a random point of its own slot. With `rate`: exponential gaps (a Poisson process)
 * of mean 1/rate seconds, rounded to whole microseconds. With a `unitUs`, each time is cut
 * to its unit (as a record that carries seconds or milliseconds writes it) from the first
 * whole unit at or after the start, so no record shows a time before the start, and a
 * label's times are exactly its records' times.
 */
export class Clock {
  private i = 0;
  private t: number;
  private readonly startUs: number;
  private readonly slot: number;
  private readonly meanGapUs: number;
  private readonly unit: number;

  constructor(
    private readonly spec: ClockSpec,
    private readonly rng: Rng,
  ) {
    this.unit = spec.unitUs ?? 1;
    this.t = this.startUs = firstUnitUs(spec.startUs, this.unit);
    this.slot = spec.endUs !== undefined ? (spec.endUs - this.startUs) / spec.count : 0;
    this.meanGapUs = US_PER_SEC / (spec.rate ?? DEFAULT_RATE);
  }

  next(): number {
    const i = this.i++;
    let t: number;
    if (this.spec.endUs !== undefined) t = this.startUs + Math.floor((i + this.rng.float()) * this.slot);
    else {
      if (i > 0) this.t += Math.round(-Math.log(1 - this.rng.float()) * this.meanGapUs);
      t = this.t;
    }
    return this.unit === 1 ? t : t - (t - this.startUs) % this.unit;
  }
}

/** Parse an ISO-8601 instant to microseconds (keeps up to 6 fractional digits). */
export function isoToUs(iso: string): number {
  const ms = Date.parse(iso);
  const m = /\.(\d+)/.exec(iso);
  const micro = m ? Number(((m[1] as string) + '000000').slice(3, 6)) : 0;
  return ms * US_PER_MS + micro;
}
