// Text of the ingestion commands KubeSift sends (direct sink) or writes beside landed blobs
// (blob sink). Kept here so the language-service test checks exactly what is sent.
import { kqlString } from '../kusto/render.js';

export interface IngestProps {
  table: string;
  mappingName: string;
  /** Idempotency tag: written as `ingest-by:<tag>` and checked with ingestIfNotExists. */
  tag: string;
}

function withClause(p: IngestProps, format: string): string {
  return `with (format = ${kqlString(format)}, ingestionMappingReference = ${kqlString(p.mappingName)}, tags = ${kqlString(JSON.stringify([`ingest-by:${p.tag}`]))}, ingestIfNotExists = ${kqlString(JSON.stringify([p.tag]))})`;
}

/** `.ingest inline` of newline-delimited JSON (direct sink: Kustainer / a dev cluster). */
export function ingestInlineCommand(p: IngestProps, ndjson: string): string {
  return `.ingest inline into table ${p.table} ${withClause(p, 'multijson')} <|\n${ndjson.replace(/\n+$/, '')}`;
}

/** `.ingest into` from a blob URL (blob sink: the command an operator runs to load a landed file). */
export function ingestFromBlobCommand(p: IngestProps, blobUrl: string, format = 'multijson'): string {
  return `.ingest into table ${p.table} (h${kqlString(blobUrl)}) ${withClause(p, format)}`;
}

/** Samples of every command shape, for the language-service test. */
export function sinkCommandSamples(): { label: string; command: string }[] {
  const p: IngestProps = { table: 'AksAudit', mappingName: 'AksAudit_json', tag: 'aks-diagnostics-0-10-12-0123456789abcdef/AksAudit' };
  return [
    { label: '.ingest inline (direct sink)', command: ingestInlineCommand(p, '{"AuditId":"a","Stage":"ResponseComplete"}\n{"AuditId":"b","Stage":"ResponseComplete"}\n') },
    { label: '.ingest into (blob sink)', command: ingestFromBlobCommand({ ...p, table: 'Detections', mappingName: 'Detections_json' }, 'https://acct.blob.core.windows.net/landing/Detections/2025/01/02/k.multijson.gz') },
  ];
}
