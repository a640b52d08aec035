// Renders every ADX database object KubeSift needs from the TABLES registry and the stored
// functions, as a deterministic list of management commands. `npm run kql` prints or applies
// it; infra embeds the same text as a database script. Commands are separated by blank lines
// and never contain one, which is what the ADX database-script format requires.
import type { Column } from './columns.js';
import { TABLES, type TableDef } from './tables.js';
import { ANALYSIS_QUERIES, type StoredFunction } from './queries.js';
import { RAW_COLUMNS, RAW_MAPPING, RAW_TABLE, UPDATE_POLICIES, expandFunctions } from './rawLanding.js';
import { windowFunctions } from './windowFunctions.js';

export type CommandKind = 'table' | 'mapping' | 'function' | 'policy' | 'view';

export interface DatabaseCommand {
  /** Object the command creates or alters, e.g. `AksAudit`, `AksAudit_json`, `FailedLoginsByHost`. */
  name: string;
  kind: CommandKind;
  command: string;
}

export interface RenderOptions {
  /** Add the raw table + expand functions + update policies for ADX's native Event Hub connection. */
  rawLanding?: boolean;
  /** Enable the streaming-ingestion policy on the pipeline tables (streaming / managed sinks). */
  streaming?: boolean;
  /** Soft-delete periods in days. */
  retentionDays?: { pipeline?: number; dataset?: number; raw?: number };
  /** Days the pipeline tables keep their `ingest-by:` tags (default INGEST_TAG_DAYS); 0 keeps them for good. */
  ingestTagDays?: number;
  /** Leave out the `<Table>Unique` materialized views (the Kusto emulator has none). */
  noUniqueViews?: boolean;
  /** Stored functions for the windowed detectors; defaults to those of the `aks` policy. */
  windowDetectors?: readonly StoredFunction[];
}

const RETENTION = { pipeline: 365, dataset: 30, raw: 1 } as const;

// Pipeline tables get a 30 s batching window: detections should be queryable quickly, and
// one Function batch is one blob per table anyway.
const PIPELINE_BATCHING = { MaximumBatchingTimeSpan: '00:00:30', MaximumNumberOfItems: 500, MaximumRawDataSizeMB: 1024 };

/**
 * Days the pipeline tables keep the `ingest-by:` tag of each landing. A tag only has to
 * outlive the redeliveries of its batch: the trigger's retries (~15 min), a restart before
 * the checkpoint, and `sift replay` of a batch its final retry set aside, which lands under
 * the same key so the tables that did land are skipped. Kept longer, one tag per table per
 * batch piles up on the extents for good (merged extents carry the union of their tags),
 * which ADX's extent tags retention policy exists to prevent. After this a replayed batch
 * can land a table twice; the `<Table>Unique` views collapse the copies. docs/adx.md.
 */
export const INGEST_TAG_DAYS = 7;

/** A KQL single-quoted string literal. */
export function kqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\r?\n/g, '\\n')}'`;
}

const columnList = (cols: readonly Column[]): string => cols.map((c) => `${c.name}:${c.type}`).join(', ');

export function jsonMapping(cols: readonly Column[]): string {
  return JSON.stringify(cols.map((c) => ({ column: c.name, Properties: { Path: c.path ?? `$.${c.name}` } })));
}

export function csvMapping(cols: readonly Column[]): string {
  return JSON.stringify(cols.map((c, i) => ({ column: c.name, Properties: { Ordinal: String(i) } })));
}

function tableCommands(t: { name: string; columns: readonly Column[]; docstring: string }, folder: string): DatabaseCommand[] {
  return [
    {
      name: t.name,
      kind: 'table',
      command: `.create-merge table ${t.name} (${columnList(t.columns)}) with (docstring = ${kqlString(t.docstring)}, folder = ${kqlString(folder)})`,
    },
    {
      name: t.name,
      kind: 'table',
      command: `.alter-merge table ${t.name} column-docstrings (${t.columns.map((c) => `${c.name}:${kqlString(c.doc)}`).join(', ')})`,
    },
  ];
}

function mappingCommands(t: TableDef): DatabaseCommand[] {
  const out: DatabaseCommand[] = [
    { name: t.mappingName, kind: 'mapping', command: `.create-or-alter table ${t.name} ingestion json mapping ${kqlString(t.mappingName)} ${kqlString(jsonMapping(t.columns))}` },
  ];
  if (t.csvMappingName)
    out.push({ name: t.csvMappingName, kind: 'mapping', command: `.create-or-alter table ${t.name} ingestion csv mapping ${kqlString(t.csvMappingName)} ${kqlString(csvMapping(t.columns))}` });
  return out;
}

const ingestTagRetention = (table: string, days: number): DatabaseCommand => ({
  name: table,
  kind: 'policy',
  command: `.alter table ${table} policy extent_tags_retention ${kqlString(JSON.stringify([{ TagPrefix: 'ingest-by:', RetentionPeriod: `${days}.00:00:00` }]))}`,
});

const retention = (table: string, days: number, entity: 'table' | 'materialized-view' = 'table'): DatabaseCommand => ({
  name: table,
  kind: 'policy',
  command: `.alter-merge ${entity} ${table} policy retention softdelete = ${days}d recoverability = enabled`,
});

// Ingest-by tags skip a batch landed again under the same key, but after a crash or a
// partition rebalance the host may cut the re-read events into batches with other
// boundaries, and those rows land a second time. ADX's documented answer is a deduplicating
// materialized view: queries that must count each source row once read `<Table>Unique`.
export const uniqueViewName = (table: string): string => `${table}Unique`;

const uniqueViewQuery = (t: TableDef): string => `${t.name}\n    | summarize take_any(*) by ${t.uniqueBy!.join(', ')}`;

function uniqueViewCommand(t: TableDef): DatabaseCommand {
  const name = uniqueViewName(t.name);
  const doc = `${t.name}, one row per ${t.uniqueBy!.join(' + ')} (rows landed twice after a rebalance collapse)`;
  return {
    name,
    kind: 'view',
    command: `.create ifnotexists materialized-view with (backfill = true, autoUpdateSchema = true, folder = 'KubeSift', docstring = ${kqlString(doc)}) ${name} on table ${t.name}\n{\n    ${uniqueViewQuery(t)}\n}`,
  };
}

// A take_any(*) view without autoUpdateSchema is disabled by ADX when its table changes, so
// the first release to add a column would stop every view (and the functions reading them).
// `.create ifnotexists` leaves a view made before the property as it is: this sets it there.
const autoUpdateSchemaCommand = (t: TableDef): DatabaseCommand => ({
  name: uniqueViewName(t.name),
  kind: 'policy',
  command: `.alter materialized-view ${uniqueViewName(t.name)} autoUpdateSchema true`,
});

export function functionCommand(f: StoredFunction): DatabaseCommand {
  return {
    name: f.name,
    kind: 'function',
    command: `.create-or-alter function with (folder = ${kqlString(f.folder)}, docstring = ${kqlString(f.docstring)}) ${f.name}${f.parameters} {\n${f.body}\n}`,
  };
}

/** The Unique views as tables of the schema (name and columns), for the KQL checks. */
export const uniqueViewTables = (): { name: string; columns: readonly Column[]; viewQuery: string }[] =>
  TABLES.filter((t) => t.uniqueBy).map((t) => ({ name: uniqueViewName(t.name), columns: t.columns, viewQuery: uniqueViewQuery(t) }));

/** A query's source line (`AksAudit`, or `let rows = AksAudit`) on its own line. */
const SOURCE_LINE = new RegExp(`^((?:let \\w+ = )?)(${TABLES.filter((t) => t.uniqueBy && t.name !== 'Detections').map((t) => t.name).join('|')})$`, 'gm');

/**
 * The analysis and detector functions count rows, and a row can be in its table twice (a
 * batch landed again after a rebalance, kube-audit and kube-audit-admin copies in different
 * batches, a streamed redelivery): where the script creates the Unique views, they read those.
 * LandingHealth reads the tables themselves (it measures ingestion, copies included).
 */
function readUniqueViews(f: StoredFunction): StoredFunction {
  const body = f.body.replace(SOURCE_LINE, (_m, head: string, table: string) => `${head}${uniqueViewName(table)}`);
  return body === f.body ? f : { ...f, body };
}

/** Every stored function the script defines (analysis, raw-landing expanders, window detectors). */
export function storedFunctions(opts: RenderOptions = {}): StoredFunction[] {
  const counting = [...ANALYSIS_QUERIES, ...(opts.windowDetectors ?? windowFunctions())];
  return [...(opts.rawLanding ? expandFunctions() : []), ...(opts.noUniqueViews ? counting : counting.map(readUniqueViews))];
}

export function databaseCommands(opts: RenderOptions = {}): DatabaseCommand[] {
  const days = { ...RETENTION, ...opts.retentionDays };
  const keepDays = (t: TableDef): number => (t.origin === 'pipeline' ? days.pipeline : days.dataset);
  const cmds: DatabaseCommand[] = [];
  for (const t of TABLES) cmds.push(...tableCommands(t, t.origin === 'pipeline' ? 'KubeSift' : 'KubeSift/Datasets'));
  for (const t of TABLES) cmds.push(...mappingCommands(t));
  for (const t of TABLES) {
    cmds.push(retention(t.name, keepDays(t)));
    if (t.origin === 'pipeline') {
      cmds.push({ name: t.name, kind: 'policy', command: `.alter table ${t.name} policy ingestionbatching ${kqlString(JSON.stringify(PIPELINE_BATCHING))}` });
      const tagDays = opts.ingestTagDays ?? INGEST_TAG_DAYS;
      if (tagDays > 0) cmds.push(ingestTagRetention(t.name, tagDays));
      if (opts.streaming) cmds.push({ name: t.name, kind: 'policy', command: `.alter table ${t.name} policy streamingingestion enable` });
    }
  }
  if (opts.rawLanding) {
    cmds.push(...tableCommands({ name: RAW_TABLE, columns: RAW_COLUMNS, docstring: 'Raw AKS diagnostic bodies from the native Event Hub connection (expanded by update policies)' }, 'KubeSift/RawLanding'));
    cmds.push({
      name: RAW_MAPPING,
      kind: 'mapping',
      command: `.create-or-alter table ${RAW_TABLE} ingestion json mapping ${kqlString(RAW_MAPPING)} ${kqlString(JSON.stringify([{ column: 'Records', Properties: { Path: '$.records' } }]))}`,
    });
    cmds.push(retention(RAW_TABLE, days.raw));
    // A dynamic value over 1 MB is dropped at ingestion (and the ingestion succeeds): one
    // Event Hub body is up to 1 MB (more on Premium and Dedicated), all of it in this column.
    cmds.push({ name: RAW_TABLE, kind: 'policy', command: `.alter column ${RAW_TABLE}.${RAW_COLUMNS[0]!.name} policy encoding type = 'bigobject32'` });
  }
  // A view keeps its rows for the database's retention, not its table's: the functions read
  // the views, so they get the table's period.
  if (!opts.noUniqueViews)
    for (const t of TABLES)
      if (t.uniqueBy) cmds.push(uniqueViewCommand(t), autoUpdateSchemaCommand(t), retention(uniqueViewName(t.name), keepDays(t), 'materialized-view'));
  for (const f of storedFunctions(opts)) cmds.push(functionCommand(f));
  if (opts.rawLanding) {
    for (const p of UPDATE_POLICIES) {
      // Transactional: if the expansion fails, the raw ingestion fails and is retried, so
      // nothing lands half-expanded. Propagated properties keep ingest-by tags on the target.
      const policy = [{ IsEnabled: true, Source: RAW_TABLE, Query: p.query, IsTransactional: true, PropagateIngestionProperties: true }];
      cmds.push({ name: p.table, kind: 'policy', command: `.alter table ${p.table} policy update ${kqlString(JSON.stringify(policy))}` });
    }
  }
  return cmds;
}

/** The `.kql` database script: one command per paragraph, deterministic for the same options. */
export function renderDatabaseScript(opts: RenderOptions = {}): string {
  return databaseCommands(opts)
    .map((c) => c.command)
    .join('\n\n')
    .concat('\n');
}
