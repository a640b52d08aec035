// Go time.Duration strings ("214.666µs", "9.05251ms", "8m18.00060226s", "1h2m") → milliseconds.

// A Map, not an object literal: the unit text comes from the log line, and `constructor` or
// `toString` must not find Object.prototype's members.
export const UNIT_MS: ReadonlyMap<string, number> = new Map<string, number>([['ns', 1e-6], ['us', 1e-3], ['µs', 1e-3], ['μs', 1e-3], ['ms', 1], ['s', 1000], ['m', 60_000], ['h', 3_600_000]]);

/** Milliseconds, or null when `s` is not a Go duration. Linear scan, at most 64 characters. */
export function goDurationMs(s: string): number | null {
  const n = s.length;
  if (n === 0 || n > 64) return null;
  if (s === '0') return 0;
  let i = 0;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    i = 1;
  }
  let total = 0;
  let parts = 0;
  while (i < n) {
    const numStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if ((c >= 48 && c <= 57) || c === 46) i++;
      else break;
    }
    if (i === numStart) return null;
    const num = Number(s.slice(numStart, i));
    if (Number.isNaN(num)) return null;
    const unitStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if ((c >= 48 && c <= 57) || c === 46) break;
      i++;
    }
    const unit = UNIT_MS.get(s.slice(unitStart, i));
    if (unit === undefined) return null;
    total += num * unit;
    parts++;
  }
  if (parts === 0) return null;
  // Round away float noise (1.358954ms * 1 stays exact; 214.666µs → 0.214666).
  const ms = Math.round(total * 1e6) / 1e6;
  return neg ? -ms : ms;
}
