// Salvage of audit events whose JSON is cut (AKS truncates properties.log at 16 KiB,
// Azure/AKS#4635). A linear scanner walks the TOP-LEVEL object only, so a nested "verb"
// (e.g. inside a SubjectAccessReview requestObject) can never be mistaken for the event's
// own. Every complete top-level value is kept (JSON.parse on its slice); the value cut by
// the truncation is dropped, except `user`, whose username is recovered with an anchored,
// bounded regex, and `requestURI` and `auditID`, kept up to the cut (a URI or an Audit-ID
// header past 16 KiB takes the verb, user and object with it: the head is all that is left of
// the request). No backtracking anywhere: each character is visited at most twice.
import { MAX_JSON_DEPTH } from '../envelope/json.js';

/** Characters AKS keeps of a `properties.log` it cuts (16 KiB, Azure/AKS#4635). */
export const AKS_LOG_CUT = 16_384;

export interface SalvageResult {
  /** Top-level fields recovered (may be empty). */
  event: Record<string, unknown>;
  /** true when the text simply ends inside the object (truncation), false when it is malformed earlier. */
  cut: boolean;
}

const WS = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff;

/** Whether s[i] is escaped: an odd run of backslashes stands right before it. */
function escapedAt(s: string, i: number): boolean {
  let k = i - 1;
  while (k >= 0 && s.charCodeAt(k) === 92) k--;
  return (i - 1 - k) % 2 === 1;
}

/** Index after the JSON string starting at s[i] === '"', or -1 when it is unterminated. */
function stringEnd(s: string, i: number): number {
  let j = i + 1;
  for (;;) {
    j = s.indexOf('"', j);
    if (j < 0) return -1;
    if (!escapedAt(s, j)) return j + 1;
    j++;
  }
}

/** Index after the object/array starting at s[i]; -1 when cut, -2 when deeper than allowed. */
function containerEnd(s: string, i: number): number {
  let d = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      const e = stringEnd(s, i);
      if (e < 0) return -1;
      i = e;
      continue;
    }
    if (c === 123 || c === 91) {
      if (++d > MAX_JSON_DEPTH) return -2;
    } else if (c === 125 || c === 93) {
      if (--d === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** Index after a number/true/false/null starting at i. */
function primitiveEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 44 || c === 125 || c === 93 || WS(c)) return i;
    i++;
  }
  return -1;
}

// Anchored and bounded: at most 1024 username characters, alternatives are disjoint.
const USERNAME = /^\{\s*"username"\s*:\s*"((?:[^"\\]|\\.){0,1024})"/;

/**
 * The text of a JSON string literal cut before its closing quote (`body` follows the opening
 * one), without an escape the cut split (`\\` or `\\u00`); undefined when it is not string text.
 */
function cutString(body: string): string | undefined {
  let end = body.length;
  // A \u escape the cut left short of its four hex digits.
  const u = body.lastIndexOf('\\u');
  if (u >= 0 && u >= end - 5 && !escapedAt(body, u) && !/^[0-9a-fA-F]{4}$/.test(body.slice(u + 2, u + 6))) end = u;
  // A lone backslash the cut left at the end.
  if (escapedAt(body, end)) end--;
  try {
    return JSON.parse(`"${body.slice(0, end)}"`) as string;
  } catch {
    return undefined;
  }
}

export function salvageAuditJson(s: string): SalvageResult {
  const event: Record<string, unknown> = {};
  const n = s.length;
  let i = 0;
  while (i < n && WS(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) !== 123) return { event, cut: false };
  i++;
  for (;;) {
    while (i < n && WS(s.charCodeAt(i))) i++;
    if (i >= n) return { event, cut: true };
    const c = s.charCodeAt(i);
    if (c === 125) return { event, cut: false }; // complete object: malformed after it
    if (c === 44) {
      i++;
      continue;
    }
    if (c !== 34) return { event, cut: false };
    const kEnd = stringEnd(s, i);
    if (kEnd < 0) return { event, cut: true };
    let key: string;
    try {
      key = JSON.parse(s.slice(i, kEnd)) as string;
    } catch {
      return { event, cut: false };
    }
    i = kEnd;
    while (i < n && WS(s.charCodeAt(i))) i++;
    if (i >= n) return { event, cut: true };
    if (s.charCodeAt(i) !== 58) return { event, cut: false };
    i++;
    while (i < n && WS(s.charCodeAt(i))) i++;
    if (i >= n) return { event, cut: true };
    const v = s.charCodeAt(i);
    const end = v === 34 ? stringEnd(s, i) : v === 123 || v === 91 ? containerEnd(s, i) : primitiveEnd(s, i);
    // Deeper than MAX_JSON_DEPTH: keep what came before, stop here.
    if (end === -2) return { event, cut: false };
    if (end < 0) {
      if (key === 'user' && v === 123) {
        const m = USERNAME.exec(s.slice(i, i + 2200));
        if (m) {
          try {
            event.user = { username: JSON.parse(`"${m[1]}"`) as string };
          } catch {
            /* leave user out */
          }
        }
      }
      // A cut inside a string the client sized (its URI, its Audit-ID header) keeps the head; an
      // ID only from a record as long as AKS's cut (a short text broken inside its ID is noise).
      if ((key === 'requestURI' || (key === 'auditID' && n >= AKS_LOG_CUT)) && v === 34) {
        const head = cutString(s.slice(i + 1));
        if (head) event[key] = head;
      }
      return { event, cut: true };
    }
    try {
      const value: unknown = JSON.parse(s.slice(i, end));
      if (key !== '__proto__') event[key] = value;
    } catch {
      return { event, cut: false };
    }
    i = end;
  }
}
