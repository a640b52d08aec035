// klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
// Parsed with character checks only (no regex), tolerant of the collapsed thread column
// seen in real AKS samples ("07:27:25.9763861 event.go:221]": micros 976386, thread 1).
import { int32, safeLong } from './int32.js';
import { timeFromParts } from './time.js';

export interface KlogHeader {
  severity: 'I' | 'W' | 'E' | 'F';
  month: number;
  day: number;
  /** hh:mm:ss */
  hms: string;
  /** fractional seconds digits (≤ 6 kept) */
  micros: string;
  thread: number | null;
  file: string;
  line: number | null;
  /** index of the message after "] " */
  msgStart: number;
}

export const LEVELS: Readonly<Record<KlogHeader['severity'], string>> = { I: 'INFO', W: 'WARNING', E: 'ERROR', F: 'FATAL' };

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

function digitsAt(s: string, from: number, count: number): boolean {
  if (from + count > s.length) return false;
  for (let i = from; i < from + count; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** Parse the klog header at the start of `s`, or null when the line has none. */
export function parseKlogHeader(s: string): KlogHeader | null {
  const sev = s[0];
  if (sev !== 'I' && sev !== 'W' && sev !== 'E' && sev !== 'F') return null;
  if (!digitsAt(s, 1, 4) || s[5] !== ' ') return null;
  if (!digitsAt(s, 6, 2) || s[8] !== ':' || !digitsAt(s, 9, 2) || s[11] !== ':' || !digitsAt(s, 12, 2)) return null;
  const month = (s.charCodeAt(1) - 48) * 10 + (s.charCodeAt(2) - 48);
  const day = (s.charCodeAt(3) - 48) * 10 + (s.charCodeAt(4) - 48);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  let i = 14;
  let frac = '';
  if (s[i] === '.') {
    const start = ++i;
    while (i < s.length && i - start < 32 && isDigit(s.charCodeAt(i))) i++;
    frac = s.slice(start, i);
  }
  let thread: number | null = null;
  let sawSpace = false;
  while (i < s.length && s.charCodeAt(i) === 32 && i < 64) {
    i++;
    sawSpace = true;
  }
  if (!sawSpace) return null;
  // Thread id column, unless it collapsed into the fraction.
  const tStart = i;
  while (i < s.length && i - tStart < 20 && isDigit(s.charCodeAt(i))) i++;
  if (i > tStart && s[i] === ' ') {
    thread = safeLong(s.slice(tStart, i));
    i++;
  } else {
    i = tStart;
    if (frac.length > 6) thread = safeLong(frac.slice(6));
  }
  // file:line] — bounded scan for ']'.
  const fStart = i;
  const limit = Math.min(s.length, fStart + 256);
  let close = -1;
  for (let k = fStart; k < limit; k++) {
    const c = s.charCodeAt(k);
    if (c === 93) {
      close = k;
      break;
    }
    if (c === 32) break;
  }
  if (close < 0) return null;
  const loc = s.slice(fStart, close);
  const colon = loc.lastIndexOf(':');
  let file = loc;
  let line: number | null = null;
  if (colon > 0 && digitsAt(loc, colon + 1, loc.length - colon - 1) && loc.length - colon - 1 > 0) {
    file = loc.slice(0, colon);
    // SourceLine is an `int` column: a line past 2^31 lands as null, so the row holds null too.
    // The digits are checked above: int32 takes the number, not the text it would test again.
    line = int32(Number(loc.slice(colon + 1)));
  }
  const msgStart = s.charCodeAt(close + 1) === 32 ? close + 2 : close + 1;
  return { severity: sev, month, day, hms: s.slice(6, 14), micros: frac.slice(0, 6), thread, file, line, msgStart };
}

/** `year`, one back (or forward) when the header is in December and `month` in January (or the reverse). */
function yearAcrossNewYear(headerMonth: number, year: number, month: number): number {
  if (headerMonth === 12 && month === 1) return year - 1;
  if (headerMonth === 1 && month === 12) return year + 1;
  return year;
}

/**
 * klog has no year: take it from the record time, else from the batch clock, across a new
 * year as above (a December header read on January 1st is last year's). The record time when
 * the header's is not a real time (02-30, 99:99:99, a year outside 0000-9999).
 */
export function klogTime(h: KlogHeader, recordTime: string | null, clock: Date): string | null {
  const year = recordTime
    ? yearAcrossNewYear(h.month, Number(recordTime.slice(0, 4)), Number(recordTime.slice(5, 7)))
    : yearAcrossNewYear(h.month, clock.getUTCFullYear(), clock.getUTCMonth() + 1);
  return timeFromParts(year, h.month, h.day, h.hms, h.micros) ?? recordTime;
}
