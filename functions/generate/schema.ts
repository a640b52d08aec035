// The ADX side of a dataset: table schema, mapping and `.ingest` command, rendered by the
// project's KQL renderer (functions/kusto/render.ts) so the text matches the shipped scripts.
import { ingestFromBlobCommand } from '../land/commands.js';
import { databaseCommands } from '../kusto/render.js';
import { tableDef } from '../kusto/tables.js';
import type { Format } from './request.js';
import type { LogTypeDef } from './types.js';

export interface TableInfo {
  name: string;
  columns: readonly { name: string; type: string; doc: string }[];
  /** `.create-merge table` + column docstrings commands. */
  schema: string[];
  mappings: { name: string; kind: 'json' | 'csv'; command: string }[];
}

export function tableInfo<E>(def: LogTypeDef<E>): TableInfo | null {
  if (!def.table) return null;
  const t = tableDef(def.table.name);
  const cmds = databaseCommands().filter((c) => c.name === t.name || c.name === t.mappingName || c.name === t.csvMappingName);
  return {
    name: t.name,
    columns: t.columns,
    schema: cmds.filter((c) => c.kind === 'table').map((c) => c.command),
    mappings: cmds
      .filter((c) => c.kind === 'mapping')
      .map((c) => ({ name: c.name, kind: c.name === t.csvMappingName ? ('csv' as const) : ('json' as const), command: c.command })),
  };
}

/** Ingestion format and mapping for a dataset format; null when the format is not table rows. */
export function ingestShape(table: string, format: Format): { format: 'csv' | 'multijson'; mappingName: string } | null {
  const t = tableDef(table);
  if (format === 'csv' && t.csvMappingName) return { format: 'csv', mappingName: t.csvMappingName };
  if (format === 'jsonl') return { format: 'multijson', mappingName: t.mappingName };
  return null;
}

/** `.ingest into table ... (h'<blob>')` for a dataset blob; CSV skips its header record. */
export function datasetIngestCommand(table: string, format: Format, blobUrl: string, tag: string): string | null {
  const shape = ingestShape(table, format);
  if (!shape) return null;
  const cmd = ingestFromBlobCommand({ table, mappingName: shape.mappingName, tag }, blobUrl, shape.format);
  return shape.format === 'csv' ? cmd.replace(' with (', ' with (ignoreFirstRecord = true, ') : cmd;
}
