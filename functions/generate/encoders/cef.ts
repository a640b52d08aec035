// ArcSight CEF. Header fields and extension values have DIFFERENT escaping rules:
// header: `\` → `\\`, `|` → `\|` (a pipe in an extension value stays as is);
// extension: `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r`.

/** Escape one header field; newlines are not allowed in the header, so they become spaces. */
export function cefHeaderField(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i] as string;
    if (ch === '\\' || ch === '|') out += '\\' + ch;
    else if (ch === '\n' || ch === '\r') out += ' ';
    else out += ch;
  }
  return out;
}

/** Escape one extension value. */
export function cefExtensionValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
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
  return /^[A-Za-z0-9_]+$/.test(k);
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
  for (const [k, v] of ext) {
    if (v === null || v === '') continue;
    if (!isCefKey(k)) throw new Error(`invalid CEF extension key: ${JSON.stringify(k)}`);
    out += (first ? '' : ' ') + k + '=' + (typeof v === 'number' ? String(v) : cefExtensionValue(v));
    first = false;
  }
  return out;
}
