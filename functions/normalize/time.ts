// Timestamps → canonical ISO-8601 UTC with exactly six fractional digits (µs), the precision
// of audit stageTimestamp and klog headers. One fixed width keeps rows sortable as strings
// and lets Kusto read them as datetime. Inputs with 0..9 fractional digits (AKS `time` uses
// 0, 7 or 9) are accepted; longer fractions are truncated, not rounded.

const CANONICAL_LEN = 27; // 2025-04-20T16:36:52.392502Z

/** First and last whole seconds with a four-digit-year ISO text. */
const MIN_ISO_MS = Date.parse('0000-01-01T00:00:00Z');
const MAX_ISO_MS = Date.parse('9999-12-31T23:59:59Z');

/** Six-digit fraction, or null when `s` is not an RFC 3339 timestamp. Linear, no regex. */
export function canonicalTime(s: unknown): string | null {
  if (typeof s !== 'string') return null;
  const n = s.length;
  if (n < 20 || n > 40) return null;
  // Fast path: already canonical.
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
    if (!Number.isNaN(second)) return second + num2(s, 20) * 10 + s.charCodeAt(22) - 48;
  }
  return Date.parse(s);
}

/**
 * Epoch ms of the `YYYY-MM-DD?HH:MM:SS` (separator T, t or space) that starts `s`, NaN when it
 * is not one with plausible ranges. Each digit is read once and the day count is integer
 * arithmetic: several times cheaper than Date.UTC, and than remembering the last second
 * (comparing 19 characters costs as much as computing them).
 */
function secondMs(s: string): number {
  if (s.length < 19) return Number.NaN;
  const yh = num2(s, 0), yl = num2(s, 2), mo = num2(s, 5), d = num2(s, 8), h = num2(s, 11), mi = num2(s, 14), se = num2(s, 17);
  const sep = s.charCodeAt(10);
  if (
    (yh | yl | mo | d | h | mi | se) < 0 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 ||
    (sep !== 84 && sep !== 116 && sep !== 32) || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58
  )
    return Number.NaN;
  const year = yh * 100 + yl;
  // No :60: Go (Kubernetes, AKS) never writes a leap second, and ADX would read it as null.
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(year, mo) || h > 23 || mi > 59 || se > 59) return Number.NaN;
  return (((daysFromCivil(year, mo, d) * 24 + h) * 60 + mi) * 60 + se) * 1000;
}

/** The two decimal digits at `i` as a number, -1 when either is not a digit. */
function num2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (month 1-12), for any year from 0: the
 * calendar repeats every 400 years (146,097 days), so count whole eras, then years, then days
 * of a year that starts on March 1 (the leap day last). Date.UTC would read years 0-99 as 19xx.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function allDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

// YYYY-MM-DDTHH:MM:SS with plausible ranges (character arithmetic, no allocation).
const isDateTimePrefix = (s: string): boolean => !Number.isNaN(secondMs(s));

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
