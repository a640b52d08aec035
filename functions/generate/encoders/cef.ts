// ArcSight CEF. Header fields and extension values have DIFFERENT escaping rules:
// header: `\` → `\\`, `|` → `\|` (a pipe in an extension value stays as is);
// extension: `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r`.
import { tableEscaper, type Escaper } from './escape.js';

/** Escape one header field; newlines are not allowed in the header, so they become spaces. */
export const cefHeaderField: Escaper = tableEscaper({ 92: '\\\\', 124: '\\|', 10: ' ', 13: ' ' });

/** Escape one extension value. */
export const cefExtensionValue: Escaper = tableEscaper({ 92: '\\\\', 61: '\\=', 10: '\\n', 13: '\\r' });

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
