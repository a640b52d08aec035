// Timestamps → canonical ISO-8601 UTC with exactly six fractional digits (µs), the precision
// of audit stageTimestamp and klog headers. One fixed width keeps rows sortable as strings
// and lets Kusto read them as datetime. Inputs with 0..9 fractional digits (AKS `time` uses
// 0, 7 or 9) are accepted; longer fractions are truncated, not rounded.

const CANONICAL_LEN = 27; // 2025-04-20T16:36:52.392502Z

/** First and last whole seconds with a four-digit-year ISO text. */
const MIN_ISO_MS = Date.parse('0000-01-01T00:00:00Z');
const MAX_ISO_MS = Date.parse('9999-12-31T23:59:59Z');
/** 400 Gregorian years (146,097 days): the calendar repeats after it, leap days included. */
const CYCLE_400Y_MS = 146_097 * 86_400_000;

/** Six-digit fraction, or null when `s` is not an RFC 3339 timestamp. Linear, no regex. */
export function canonicalTime(s: unknown): string | null {
  if (typeof s !== 'string') return null;
  const n = s.length;
  if (n < 20 || n > 40) return null;
  // Fast path: already canonical (the second checked once per run of rows that share it).
  if (n === CANONICAL_LEN && s.charCodeAt(19) === 46 /* . */ && s.charCodeAt(26) === 90 /* Z */ && s.charCodeAt(10) === 84 /* T */ && !Number.isNaN(secondMs(s)))
    return allDigits(s, 20, 26) ? s : null;
  if (!isDateTimePrefix(s)) return null;
  let i = 19;
  let frac = '';
  if (s.charCodeAt(i) === 46) {
    const start = ++i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === start) return null;
    frac = s.slice(start, Math.min(i, start + 6));
  }
  frac = frac.padEnd(6, '0');
  const head = s.charCodeAt(10) === 84 /* T */ ? s.slice(0, 19) : `${s.slice(0, 10)}T${s.slice(11, 19)}`;
  const zone = s.slice(i);
  if (zone === 'Z' || zone === 'z' || zone === '+00:00' || zone === '-00:00') return `${head}.${frac}Z`;
  // Offset: shift whole seconds through Date, keep the sub-second digits.
  if (zone.length !== 6 || (zone[0] !== '+' && zone[0] !== '-') || zone[3] !== ':') return null;
  const ms = Date.parse(`${head}${zone}`);
  // Shifted out of years 0000-9999 (9999-12-31T23:30:00-01:00), ISO text would need a signed
  // six-digit year that no datetime column reads.
  if (!(ms >= MIN_ISO_MS && ms <= MAX_ISO_MS)) return null;
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/** Epoch milliseconds of a canonical (or any Date.parse-able) time; NaN when invalid. */
export function timeMs(s: string | null): number {
  if (!s) return Number.NaN;
  // Canonical rows (the normal case): digit arithmetic, a few times cheaper than Date.parse.
  if (s.length === CANONICAL_LEN && s.charCodeAt(26) === 90 && s.charCodeAt(19) === 46 && allDigits(s, 20, 23)) {
    const second = secondMs(s);
    if (!Number.isNaN(second)) return second + d2(s, 20) * 10 + s.charCodeAt(22) - 48;
  }
  return Date.parse(s);
}

/**
 * Epoch ms of the `YYYY-MM-DD?HH:MM:SS` that starts `s`, NaN when it is not one. Rows of a
 * batch share their second with the previous row most of the time, so the last valid second
 * and its ms are remembered (canonicalTime and timeMs share the memo).
 */
function secondMs(s: string): number {
  if (s.startsWith(memoSecond)) return memoSecondMs;
  if (!isDateTimePrefix(s)) return Number.NaN;
  memoSecond = s.slice(0, 19);
  const year = d2(s, 0) * 100 + d2(s, 2);
  // Date.UTC reads years 0-99 as 1900-1999 (Go's zero time 0001-01-01 would become 1901);
  // four centuries later the calendar is the same, leap days and rollovers included.
  const shift = year < 100 ? 400 : 0;
  memoSecondMs = Date.UTC(year + shift, d2(s, 5) - 1, d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17)) - (shift ? CYCLE_400Y_MS : 0);
  return memoSecondMs;
}

/** The last valid second secondMs saw (never '', so startsWith cannot match by accident) and its epoch ms. */
let memoSecond = '\u0000';
let memoSecondMs = 0;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function allDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);

// YYYY-MM-DDTHH:MM:SS with plausible ranges (character arithmetic, no allocation).
function isDateTimePrefix(s: string): boolean {
  if (
    !allDigits(s, 0, 4) || s.charCodeAt(4) !== 45 || !allDigits(s, 5, 7) || s.charCodeAt(7) !== 45 || !allDigits(s, 8, 10) ||
    (s[10] !== 'T' && s[10] !== 't' && s[10] !== ' ') || !allDigits(s, 11, 13) || s.charCodeAt(13) !== 58 ||
    !allDigits(s, 14, 16) || s.charCodeAt(16) !== 58 || !allDigits(s, 17, 19)
  )
    return false;
  const mo = d2(s, 5), d = d2(s, 8), h = d2(s, 11), mi = d2(s, 14), se = d2(s, 17);
  // No :60: Go (Kubernetes, AKS) never writes a leap second, and ADX would read it as null.
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(d2(s, 0) * 100 + d2(s, 2), mo) && h <= 23 && mi <= 59 && se <= 59;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year: number, month: number): number =>
  month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS[month - 1]!;

/**
 * A canonical time from parts (klog headers: month 1-12, `hms` as written), or null when
 * they do not make one (year outside 0000-9999, 02-30, 99:99:99).
 */
export function timeFromParts(year: number, month: number, day: number, hms: string, micros: string): string | null {
  if (!(year >= 0 && year <= 9999)) return null;
  return canonicalTime(`${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${hms}.${micros.padEnd(6, '0').slice(0, 6)}Z`);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
