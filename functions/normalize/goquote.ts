// Go-quoted strings and klog key=value pairs, scanned left to right in one pass.
// No regular expressions: every character is looked at a bounded number of times, so a
// 1 MB hostile line costs the same as reading it.

/** A Go-quoted string starting at `s[start] === '"'`: its value and the index after the closing quote, or null when unterminated. */
export function readGoQuoted(s: string, start: number): { value: string; end: number } | null {
  const n = s.length;
  let i = start + 1;
  // Fast path: no escapes before the closing quote.
  let j = i;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c === 34) return { value: s.slice(i, j), end: j + 1 };
    if (c === 92) break;
    j++;
  }
  if (j >= n) return null;
  let out = s.slice(i, j);
  i = j;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 34) return { value: out, end: i + 1 };
    if (c !== 92) {
      // Copy a run of plain characters at once.
      let k = i + 1;
      while (k < n) {
        const d = s.charCodeAt(k);
        if (d === 34 || d === 92) break;
        k++;
      }
      out += s.slice(i, k);
      i = k;
      continue;
    }
    if (i + 1 >= n) return null;
    const e = s[i + 1]!;
    i += 2;
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case "'": out += "'"; break;
      case 'x': case 'u': case 'U': {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = s.slice(i, i + len);
        const cp = hex.length === len && isHex(hex) ? parseInt(hex, 16) : Number.NaN;
        if (Number.isNaN(cp) || cp > 0x10ffff) out += `\\${e}${hex}`;
        else out += String.fromCodePoint(cp);
        i += hex.length;
        break;
      }
      default: {
        // Octal \ooo, otherwise keep the escape verbatim.
        const oct = s.slice(i - 1, i + 2);
        if (oct.length === 3 && /^[0-7]{3}$/.test(oct)) {
          out += String.fromCharCode(parseInt(oct, 8));
          i += 2;
        } else out += `\\${e}`;
      }
    }
  }
  return null;
}

function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** klog key characters: letters, digits and _ - . / (e.g. audit-ID, apf_pl, k8s.io/x). */
function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46 || c === 47;
}

/** If a `key=` starts at i, the index of '=' (else -1). Keys are at most 128 characters. */
function keyEnd(s: string, i: number): number {
  const n = Math.min(s.length, i + 129);
  let j = i;
  while (j < n && isKeyChar(s.charCodeAt(j))) j++;
  return j > i && j < s.length && s.charCodeAt(j) === 61 ? j : -1;
}

/**
 * Parse `k=v k2="quoted v" ...` from `start` to the end of `s`. Values are strings as
 * logged (Go-quoted ones unquoted; a klog multi-line value `key=<` keeps '<').
 * Returns null when the text from `start` is not entirely pairs (mode 'all'; a word after an
 * unquoted value is part of it, as klog prints structs and slices), or
 * the pairs of the longest run of pairs that reaches the end of the line (mode 'tail').
 * Mode 'all' with `into` writes the pairs into that object (after its own keys) and returns it.
 */
export function parsePairs(s: string, start: number, mode: 'all' | 'tail', into?: Record<string, string>): Record<string, string> | null {
  const n = s.length;
  let i = start;
  // `into` (mode 'all' only: 'tail' may drop a run and start over) receives the pairs in place
  // of a fresh object, after whatever it holds; on null it has been partly written.
  let run: Record<string, string> | null = mode === 'all' && into ? into : null;
  // The last pair's key and value start when its value was not quoted (else -1).
  let bareKey = '';
  let bareStart = -1;
  while (i < n) {
    while (i < n && s.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    const eq = keyEnd(s, i);
    if (eq < 0) {
      if (mode === 'all') {
        // klog quotes strings and errors, and prints other values with %+v: a struct, slice
        // or map (`{Name:x Namespace:y}`, `[a b]`) has spaces. Where every token is a pair,
        // a word that is none goes on the unquoted value before it.
        if (bareStart < 0) return null;
        while (i < n && s.charCodeAt(i) !== 32) i++;
        setPair(run!, bareKey, s.slice(bareStart, i));
        continue;
      }
      run = null;
      // Skip a plain word (quotes inside it do not start a value).
      while (i < n && s.charCodeAt(i) !== 32) i++;
      continue;
    }
    const key = s.slice(i, eq);
    let v = eq + 1;
    let value: string;
    if (v < n && s.charCodeAt(v) === 34) {
      const q = readGoQuoted(s, v);
      // An unterminated quote ends the scan: nothing after it can be a pair.
      if (!q) return mode === 'all' ? null : run;
      value = q.value;
      v = q.end;
      bareStart = -1;
      if (v < n && s.charCodeAt(v) !== 32) {
        if (mode === 'all') return null;
        run = null;
        i = v;
        continue;
      }
    } else {
      let e = v;
      while (e < n && s.charCodeAt(e) !== 32) e++;
      value = s.slice(v, e);
      bareKey = key;
      bareStart = v;
      v = e;
    }
    setPair((run ??= {}), key, value);
    i = v;
  }
  return run;
}

/**
 * obj[key] = value, also for the key `__proto__` (a plain assignment would call the
 * prototype setter). Plain objects built this way stay in V8's fast mode, which a null
 * prototype object does not: they serialize and read several times faster.
 */
export function setPair(obj: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
