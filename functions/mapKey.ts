// Map and Set keys from data strings. V8 hashes a string longer than 16,383 characters by its
// length alone (String::kMaxHashCalcLength), so many such keys share one bucket and every
// lookup compares against all of them: 4,000 distinct 16 KiB klog messages (AKS cuts long
// lines at exactly 16 KiB) took a minute to group. Long keys are replaced by a digest.
import { createHash } from 'node:crypto';

/** Longest key used as it is. */
export const MAX_PLAIN_KEY = 16_383;

/**
 * `s` itself, or a digest of it when it is too long to hash well. Digests start with U+0000,
 * and so does every key of that form (a short string starting with U+0000 is digested too),
 * so a plain string never equals another string's digest.
 */
export function mapKey(s: string): string {
  if (s.length <= MAX_PLAIN_KEY && s.charCodeAt(0) !== 0) return s;
  return `\u0000${s.length}:${createHash('sha256').update(s).digest('base64')}`;
}

/** Distinct non-empty strings of `values`, first occurrence first, at most `limit`. */
export function distinct(values: Iterable<string>, limit: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    if (out.length >= limit) break;
    if (!v) continue;
    const k = mapKey(v);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(v);
  }
  return out;
}
