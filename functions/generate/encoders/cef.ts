// ArcSight CEF. Header fields and extension values have DIFFERENT escaping rules:
// header: `\` → `\\`, `|` → `\|` (a pipe in an extension value stays as is);
// extension: `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r`.

/** Escape one header field; newlines are not allowed in the header, so they become spaces. */
export function cefHeaderField(v: string): string {
  // Fast path: most fields need nothing; return them without copying.
  let i = 0;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 92 || c === 124 || c === 10 || c === 13) break;
  }
  if (i === v.length) return v;
  let out = v.slice(0, i);
  for (; i < v.length; i++) {
    const ch = v[i] as string;
    if (ch === '\\' || ch === '|') out += '\\' + ch;
    else if (ch === '\n' || ch === '\r') out += ' ';
    else out += ch;
  }
  return out;
}

/** Escape one extension value. */
export function cefExtensionValue(v: string): string {
  let i = 0;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 92 || c === 61 || c === 10 || c === 13) break;
  }
  if (i === v.length) return v;
  let out = v.slice(0, i);
  for (; i < v.length; i++) {
    const ch = v[i] as string;
    if (ch === '\\' || ch === '=') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else out += ch;
  }
  return out;
}

/** Extension keys are alphanumeric (CEF keys such as `src`, `cs1Label`). */
export function isCefKey(k: string): boolean {
  if (k.length === 0) return false;
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    // 0-9, A-Z, _, a-z
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 95 || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

export interface CefHeader {
  version: number;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: number | string;
}

/** `CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|k=v k=v`; null/'' values are left out. */
export function cef(h: CefHeader, ext: readonly (readonly [string, string | number | null])[]): string {
  let out = `CEF:${h.version}|${cefHeaderField(h.vendor)}|${cefHeaderField(h.product)}|${cefHeaderField(h.deviceVersion)}|${cefHeaderField(h.signatureId)}|${cefHeaderField(h.name)}|${cefHeaderField(String(h.severity))}|`;
  let first = true;
  for (let i = 0; i < ext.length; i++) {
    const [k, v] = ext[i] as readonly [string, string | number | null];
    if (v === null || v === '') continue;
    if (!isCefKey(k)) throw new Error(`invalid CEF extension key: ${JSON.stringify(k)}`);
    out += (first ? '' : ' ') + k + '=' + (typeof v === 'number' ? String(v) : cefExtensionValue(v));
    first = false;
  }
  return out;
}
