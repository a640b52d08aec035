// Encoders shared by the table-backed log types: raw lines from the type's own renderer,
// csv/jsonl rows from its structured row builder (the rendered line is never re-parsed).
import type { Column } from '../../kusto/columns.js';
import { csvHeader, csvRow, jsonRow } from '../csv.js';
import type { Format } from '../request.js';
import type { ByteWriter } from '../bytes.js';
import type { Encoder } from '../types.js';

export interface TableRender<E> {
  columns: readonly Column[];
  /** Raw text for the event: one line per record, each ending '\n'. */
  raw(e: E, firstRecordId: number): string;
  /** The raw text written straight into the output, when the type has a byte path. */
  rawWrite?(e: E, firstRecordId: number, w: ByteWriter): void;
  /** Column values (table order) of each record of the event. */
  rows(e: E, firstRecordId: number): unknown[][];
  rawContentType?: string;
  rawExtension?: string;
}

export function tableEncoder<E>(format: Format, r: TableRender<E>): Encoder<E> {
  switch (format) {
    case 'raw':
      return {
        contentType: r.rawContentType ?? 'text/plain; charset=utf-8',
        extension: r.rawExtension ?? 'log',
        head: () => '',
        event: r.raw,
        ...(r.rawWrite ? { write: r.rawWrite } : {}),
        tail: () => '',
      };
    case 'csv':
      return {
        contentType: 'text/csv; charset=utf-8',
        extension: 'csv',
        head: () => csvHeader(r.columns),
        event: (e, id) => {
          let out = '';
          for (const row of r.rows(e, id)) out += csvRow(row);
          return out;
        },
        tail: () => '',
      };
    case 'jsonl':
      return {
        contentType: 'application/x-ndjson',
        extension: 'jsonl',
        head: () => '',
        event: (e, id) => {
          let out = '';
          for (const row of r.rows(e, id)) out += jsonRow(r.columns, row);
          return out;
        },
        tail: () => '',
      };
    default:
      throw new Error(`format ${format} is not available for this log type`);
  }
}
