// Pure part of landing: which rows go to which table (deduped), as newline-delimited JSON
// and gzip, plus the idempotency tag of each (batch, table). Sinks only move these bytes.
import { gzipSync } from 'node:zlib';
import { DEDUPED_ROWS, type AksAuditRow, type BatchResult } from '../contracts.js';
import { mapKey } from '../mapKey.js';
import { auditIdentity } from '../normalize/audit.js';
import { auditNdjson, rowsNdjson } from './ndjson.js';
import { tableDef } from '../kusto/tables.js';

export interface TablePayload {
  table: string;
  mappingName: string;
  rows: number;
  /** Newline-delimited JSON objects (ADX format `multijson`). */
  ndjson: Buffer;
  /** Idempotency tag: `<batchKey>/<table>`; ADX skips an ingestion whose tag already exists. */
  tag: string;
  /** The rows' earliest TimeGenerated day `yyyy/mm/dd` (deterministic per batch; blob paths). */
  day: string;
}

type Row = Record<string, unknown>;

/** Dedupe key per table, as (id, qualifier): rows equal on both collapse onto the first. */
const DEDUPE_KEY: Record<string, { id: (r: Row) => string; qualifier?: (r: Row) => string }> = {
  // The request's identity beside the auditID, as dedupeAudit uses it: a client can choose its
  // Audit-ID, and merged results (webhooks: one processEvents per cluster) meet here.
  AksAudit: { id: (r) => (r.AuditId ? String(r.AuditId) : ''), qualifier: (r) => auditIdentity(r as unknown as AksAuditRow).join('\u0000') },
  AksControlPlane: { id: (r) => (r.Position ? String(r.Position) : '') },
  Detections: { id: (r) => (r.DetectionId ? String(r.DetectionId) : '') },
};

/** Rows without a key are kept as they are (nothing to dedupe on). */
export function dedupeRows<R extends Row>(table: string, rows: readonly R[]): { rows: R[]; duplicates: number } {
  const key = DEDUPE_KEY[table];
  if (!key) return { rows: [...rows], duplicates: 0 };
  if (DEDUPED_ROWS.has(rows)) return { rows: rows as R[], duplicates: 0 };
  // First row per id keyed by the id alone (no key string built per row); further
  // qualifiers of a seen id by id+qualifier.
  const first = new Map<string, string>();
  let more: Set<string> | undefined;
  const out: R[] = [];
  for (const r of rows) {
    const id = mapKey(key.id(r));
    if (id !== '') {
      const q = key.qualifier ? mapKey(key.qualifier(r)) : '';
      const seen = first.get(id);
      if (seen === undefined) first.set(id, q);
      else if (seen === q) continue;
      else {
        const k = `${id}\u0000${q}`;
        if ((more ??= new Set()).has(k)) continue;
        more.add(k);
      }
    }
    out.push(r);
  }
  return { rows: out, duplicates: rows.length - out.length };
}

export function ingestTag(batchKey: string, table: string): string {
  return `${batchKey}/${table}`;
}

const DATE_PREFIX = /^\d{4}-\d{2}-\d{2}/;

function dayOf(rows: readonly Row[]): string {
  let min = '';
  for (const r of rows) {
    const t = r.TimeGenerated;
    // Only a candidate minimum needs the date check.
    if (typeof t === 'string' && (min === '' || t < min) && DATE_PREFIX.test(t)) min = t;
  }
  return min === '' ? 'undated' : `${min.slice(0, 4)}/${min.slice(5, 7)}/${min.slice(8, 10)}`;
}

/** Rows as multijson: AksAudit lines carry the audit Event's own JSON (see ndjson.ts). */
export function toNdjson(rows: readonly unknown[], table?: string): Buffer {
  return table === 'AksAudit' ? auditNdjson(rows as AksAuditRow[]) : rowsNdjson(rows);
}

/**
 * zlib level 3: the fastest level on landing payloads, and the best of the fast ones. Over the
 * 56.7 MB of multijson of the bench's 40,000-record input: level 3 106-111 ms → 4.23 MB,
 * level 1 110-131 ms → 4.50 MB, level 6 (zlib's default, used until now) 258-268 ms →
 * 3.25 MB. The bench's gzip_extra_share went from 0.708 to 0.308 of the pipeline's own CPU
 * (docs/performance.md, tenth round); the 30% more bytes go once to staging storage in the
 * cluster's region (queued) or to the landing container (blob), which ADX reads once.
 */
const GZIP_LEVEL = 3;

/**
 * On the main thread, on purpose: zlib.gzip (libuv's thread pool) took 10-17% off the main
 * thread's CPU but not off the wall clock on 2 vCPUs, and cost ~16% more CPU in all
 * (docs/performance.md, eleventh round).
 */
export function gzip(buf: Buffer): Buffer {
  return gzipSync(buf, { level: GZIP_LEVEL });
}

/** One payload per table that has rows, in a fixed table order. */
export function tablePayloads(result: BatchResult, batchKey: string): { payloads: TablePayload[]; duplicates: number } {
  const sources: [string, readonly Row[]][] = [
    ['AksAudit', result.rows.AksAudit as unknown as Row[]],
    ['AksControlPlane', result.rows.AksControlPlane as unknown as Row[]],
    ['Detections', result.detections as unknown as Row[]],
  ];
  let duplicates = 0;
  const payloads: TablePayload[] = [];
  for (const [table, all] of sources) {
    const { rows, duplicates: d } = dedupeRows(table, all);
    duplicates += d;
    if (rows.length === 0) continue;
    payloads.push({ table, mappingName: tableDef(table).mappingName, rows: rows.length, ndjson: toNdjson(rows, table), tag: ingestTag(batchKey, table), day: dayOf(rows) });
  }
  return { payloads, duplicates };
}

/** Blob names and tags only carry [A-Za-z0-9._-]; batch keys from pipeline.batchKey already do. */
export function safeKey(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || '_';
}
