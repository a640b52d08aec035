// RFC 4180 CSV and JSON-lines rows built from structured values (never from a rendered line).
import type { Column } from '../kusto/columns.js';

const NEEDS_QUOTES = /[",\r\n]/;

/** One RFC 4180 field: quoted (with "" doubling) only when it holds a comma, quote, CR or LF. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  else s = JSON.stringify(v);
  // Leading/trailing spaces are data in RFC 4180, but Kusto trims unquoted fields: quote them.
  if (NEEDS_QUOTES.test(s) || (s.length > 0 && (s.charCodeAt(0) === 32 || s.charCodeAt(s.length - 1) === 32)))
    return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** One CSV record terminated by CRLF, as RFC 4180 specifies. */
export function csvRow(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i ? ',' : '') + csvField(values[i]);
  return line + '\r\n';
}

export function csvHeader(columns: readonly Column[]): string {
  return csvRow(columns.map((c) => c.name));
}

/** One JSON object per line with the table's column names. */
export function jsonRow(columns: readonly Column[], values: readonly unknown[]): string {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) o[(columns[i] as Column).name] = values[i] ?? null;
  return JSON.stringify(o) + '\n';
}
