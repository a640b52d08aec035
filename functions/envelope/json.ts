// JSON helpers shared by envelope and normalize: a nesting guard and a serializer that
// cannot throw. JSON.parse in V8 accepts any depth, but JSON.stringify (used by every sink)
// overflows the stack past ~10k levels, so values deeper than MAX_JSON_DEPTH never leave
// the envelope as rows.

/** Deepest nesting a value may have to become (part of) a row: JSON.stringify still writes 3000 levels
 * with 500 frames already on the stack; Kubernetes objects stay far below. */
export const MAX_JSON_DEPTH = 1000;

/**
 * True when the JSON text nests deeper than `max`. A value of depth d needs at least 2d
 * characters, so short texts return false without a scan; otherwise one linear pass that
 * jumps over string contents with indexOf.
 */
export function jsonTextTooDeep(s: string, max = MAX_JSON_DEPTH): boolean {
  const n = s.length;
  if (n <= 2 * max) return false;
  // Depth d needs d opening brackets: with at most `max` of them anywhere (strings included)
  // the text cannot be too deep. Counting them is one native indexOf hop per bracket, where
  // the scan below visits every character outside strings — a quarter to a third of a
  // JSON.parse on large RequestResponse events, and what almost every text settles here.
  if (countUpTo(s, '{', max + 1) + countUpTo(s, '[', max + 1) <= max) return false;
  let d = 0;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      i = stringEnd(s, i);
      continue;
    }
    if (c === 123 || c === 91) {
      if (++d > max) return true;
    } else if (c === 125 || c === 93) d--;
    i++;
  }
  return false;
}

/** Occurrences of `ch` in `s`, counting stops at `limit`. */
function countUpTo(s: string, ch: string, limit: number): number {
  let count = 0;
  for (let i = s.indexOf(ch); i >= 0 && count < limit; i = s.indexOf(ch, i + 1)) count++;
  return count;
}

/** True when an already-parsed value nests deeper than `max` (iterative, stops early). */
export function valueTooDeep(v: unknown, max = MAX_JSON_DEPTH): boolean {
  if (v === null || typeof v !== 'object') return false;
  const stack: unknown[] = [v];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const cur = stack.pop() as object;
    const d = depths.pop()!;
    if (d > max) return true;
    const children = Array.isArray(cur) ? cur : Object.values(cur);
    for (let i = 0; i < children.length; i++) {
      const c: unknown = children[i];
      if (c !== null && typeof c === 'object') {
        stack.push(c);
        depths.push(d + 1);
      }
    }
  }
  return false;
}

/** JSON.stringify that never throws (cycles, BigInt, depth): a marker string instead. */
export function safeStringify(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? '';
  } catch (err) {
    return `[unserializable: ${err instanceof Error ? err.message : String(err)}]`;
  }
}

/**
 * A JSON value as the text of a string column, as ADX stores it there: a string as it is,
 * a missing value as '', anything else its JSON text. Never String(v): an object with a
 * `toString` that is not a function makes that throw.
 */
export const columnText = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : safeStringify(v));

/** JSON.stringify, or null when it throws (a value nested deeper than the stack allows, a cycle). */
export function stringifyOrNull(v: unknown): string | null {
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    return null;
  }
}

/**
 * `text` (JSON already parsed successfully) as it can be embedded in a line of
 * newline-delimited JSON: a line break before its trailing whitespace becomes a space, and a
 * lone surrogate (which a UTF-8 encoder would replace) gives undefined: the caller then
 * serializes the parsed value. Trailing whitespace is kept — AKS ends every properties.log
 * with '\n' — and is the writer's to drop (land/ndjson.ts): a trimmed slice would be a sliced
 * string, which Buffer's UTF-8 encoder copies several times slower than the string itself.
 * Only leading whitespace (rare) is sliced off.
 */
export function oneLineJson(text: string): string | undefined {
  let start = 0;
  while (start < text.length && text.charCodeAt(start) <= 32) start++;
  const s = start === 0 ? text : text.slice(start);
  const end = trimmedLength(s);
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return undefined;
  const nl = s.indexOf('\n');
  const cr = s.indexOf('\r');
  // JSON strings cannot hold a raw line break, so one before the end sits between tokens
  // (a pretty-printed event): a space there is the same JSON, and every number and escape
  // stays as written.
  if ((nl >= 0 && nl < end) || (cr >= 0 && cr < end)) return s.slice(0, end).replace(LINE_BREAKS, ' ');
  return s;
}

const LINE_BREAKS = /[\r\n]/g;

/** Length of `s` without its trailing JSON whitespace (space, tab, CR, LF). */
export function trimmedLength(s: string): number {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) <= 32) end--;
  return end;
}

/** One step into a JSON value: an array index or an object key. */
export type JsonStep = number | string;

/**
 * The exact text of the value at `path` inside the JSON text `s` (already parsed
 * successfully, so well-formed), or undefined when the path does not exist. Iterative: it
 * finds values nested deeper than JSON.stringify can write back, which is what it is for
 * (a dead letter keeps such an item's own bytes). A repeated key resolves to its last
 * occurrence, as in JSON.parse.
 */
export function jsonSpan(s: string, path: readonly JsonStep[]): string | undefined {
  const at = valueAt(s, path);
  return at < 0 ? undefined : s.slice(at, valueEnd(s, at));
}

/**
 * The exact text of every element of the array at `path` inside the JSON text `s` (already
 * parsed successfully), in one pass; undefined when the path does not exist or holds no
 * array. What a sender's bytes were, where a re-serialized parse would round integers past
 * 2^53, reorder integer-like keys and rewrite escapes. `deepest`, when given, rises to the
 * nesting depth of the deepest element (valueTooDeep's count: a flat object is 1), found in
 * the same pass.
 */
export function jsonElements(s: string, path: readonly JsonStep[], deepest?: { levels: number }): string[] | undefined {
  const at = valueAt(s, path);
  if (at < 0 || s.charCodeAt(at) !== 91) return undefined;
  const out: string[] = [];
  let i = skipSpace(s, at + 1);
  while (i < s.length && s.charCodeAt(i) !== 93) {
    const end = valueEnd(s, i, deepest);
    out.push(s.slice(i, end));
    i = skipSpace(s, end);
    if (s.charCodeAt(i) === 44) i = skipSpace(s, i + 1);
  }
  return out;
}

/** Start of the value at `path` inside `s`, or -1. */
function valueAt(s: string, path: readonly JsonStep[]): number {
  let at = skipSpace(s, 0);
  for (const step of path) {
    at = typeof step === 'number' ? elementAt(s, at, step) : memberAt(s, at, step);
    if (at < 0) return -1;
  }
  return at;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) <= 32) i++;
  return i;
}

/** Index just past the string literal that opens at `i` (the end of `s` when it never closes). */
function stringEnd(s: string, i: number): number {
  let j = i + 1;
  for (;;) {
    j = s.indexOf('"', j);
    if (j < 0) return s.length;
    let k = j - 1;
    while (s.charCodeAt(k) === 92) k--;
    if ((j - 1 - k) % 2 === 0) return j + 1;
    j++;
  }
}

/** Index just past the value that starts at `i`; `deepest.levels` rises to its nesting depth. */
function valueEnd(s: string, i: number, deepest?: { levels: number }): number {
  const c = s.charCodeAt(i);
  if (c === 34) return stringEnd(s, i);
  if (c !== 123 && c !== 91) {
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d === 44 || d === 125 || d === 93 || d <= 32) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  let max = 0;
  while (i < s.length) {
    const d = s.charCodeAt(i);
    if (d === 34) {
      i = stringEnd(s, i);
      continue;
    }
    if (d === 123 || d === 91) {
      if (++depth > max) max = depth;
    } else if ((d === 125 || d === 93) && --depth === 0) break;
    i++;
  }
  if (deepest && max > deepest.levels) deepest.levels = max;
  return i < s.length ? i + 1 : i;
}

/** Start of element `n` of the array that opens at `i`, or -1. */
function elementAt(s: string, i: number, n: number): number {
  if (s.charCodeAt(i) !== 91) return -1;
  i = skipSpace(s, i + 1);
  for (let k = 0; i < s.length && s.charCodeAt(i) !== 93; k++) {
    if (k === n) return i;
    i = skipSpace(s, valueEnd(s, i));
    if (s.charCodeAt(i) === 44) i = skipSpace(s, i + 1);
  }
  return -1;
}

/** Start of the value of the last member named `key` in the object that opens at `i`, or -1. */
function memberAt(s: string, i: number, key: string): number {
  if (s.charCodeAt(i) !== 123) return -1;
  let found = -1;
  i = skipSpace(s, i + 1);
  while (i < s.length && s.charCodeAt(i) === 34) {
    const keyEnd = stringEnd(s, i);
    const name = JSON.parse(s.slice(i, keyEnd)) as string;
    i = skipSpace(s, skipSpace(s, keyEnd) + 1);
    if (name === key) found = i;
    i = skipSpace(s, valueEnd(s, i));
    if (s.charCodeAt(i) === 44) i = skipSpace(s, i + 1);
  }
  return found;
}
