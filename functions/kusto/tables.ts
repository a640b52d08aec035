// The registry of every ADX table KubeSift creates. Rendering (.kql), mappings, the
// language-service schema and the sinks all read this list; nothing else names tables.
import type { Column } from './columns.js';
import { AksAuditColumns, AksControlPlaneColumns, AUDIT_IDENTITY_COLUMNS, DetectionsColumns } from './pipelineTables.js';
import { DATASET_TABLES } from './datasetTables.js';

export interface TableDef {
  readonly name: string;
  readonly columns: readonly Column[];
  readonly docstring: string;
  /** JSON ingestion mapping every sink references (`<Table>_json`). */
  readonly mappingName: string;
  /** CSV ingestion mapping (dataset tables only: the generator can emit CSV). */
  readonly csvMappingName?: string;
  /** 'pipeline' tables are fed by the Event Hub functions; 'dataset' by the generator. */
  readonly origin: 'pipeline' | 'dataset';
  /**
   * Columns that identify one source row however it was batched: a materialized view
   * `<Table>Unique` keeps one row per key (see render.ts).
   */
  readonly uniqueBy?: readonly string[];
}

const pipeline = (name: string, cols: readonly Column[], docstring: string, uniqueBy: readonly string[]): TableDef => ({
  name,
  columns: cols,
  docstring,
  mappingName: `${name}_json`,
  origin: 'pipeline',
  uniqueBy,
});

export const TABLES: readonly TableDef[] = [
  // A client can choose its Audit-ID: keyed on AuditId + Stage alone, a request that borrowed
  // another's ID would vanish from the view.
  pipeline('AksAudit', AksAuditColumns, 'AKS kube-audit / kube-audit-admin events, one row per audit event stage', ['AuditId', ...AUDIT_IDENTITY_COLUMNS]),
  // Position (partition/sequence/index) is unique within one hub only: sequence numbers start
  // at 0 in every hub, including a re-created one, and several hubs may land in one database.
  pipeline('AksControlPlane', AksControlPlaneColumns, 'AKS control-plane logs (kube-apiserver, scheduler, controller-manager, ...), one row per line', ['Position', 'Cluster', 'Category', 'PodName', 'TimeGenerated']),
  pipeline('Detections', DetectionsColumns, 'Detections fired by KubeSift rules and windowed detectors', ['DetectionId']),
  ...DATASET_TABLES.map(
    (t): TableDef => ({
      name: t.name,
      columns: t.columns,
      docstring: t.docstring,
      mappingName: `${t.name}_json`,
      csvMappingName: `${t.name}_csv`,
      origin: 'dataset',
    }),
  ),
];

export function tableDef(name: string): TableDef {
  const t = TABLES.find((x) => x.name === name);
  if (!t) throw new Error(`unknown table '${name}'`);
  return t;
}
