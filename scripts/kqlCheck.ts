// Checks KQL queries and management commands with Microsoft's Kusto language service
// (@kusto/language-service-next, dev dependency) against the schema KubeSift renders, so a
// typo in a column, a mapping or a function is caught before it reaches a cluster.
// The service is a Bridge.NET bundle that installs globals; it is loaded once per process.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Column, KustoType } from '../functions/kusto/columns.js';

export interface SchemaTable {
  name: string;
  columns: readonly Column[];
  /** Set for a materialized view: its query. */
  viewQuery?: string;
}

export interface SchemaFunction {
  name: string;
  /** Parameter list with parentheses, e.g. `(lookback:timespan = 1d)`. */
  parameters: string;
  /** Body with braces, e.g. `{ T | take 1 }`. */
  body: string;
}

export interface KqlSchema {
  database: string;
  tables: readonly SchemaTable[];
  functions: readonly SchemaFunction[];
}

export interface KqlDiagnostic {
  severity: string;
  message: string;
  start: number;
  length: number;
  /** The text the diagnostic points at. */
  excerpt: string;
}

// Minimal structural types for the parts of the bridge we call.
interface BridgeList<T> {
  Count: number;
  getItem(i: number): T;
}
interface BridgeDiagnostic {
  Severity: string;
  Message: string;
  Start: number;
  Length: number;
}
interface BridgeCode {
  GetDiagnostics(): BridgeList<BridgeDiagnostic>;
  ResultType: { Columns?: BridgeList<{ Name: string; Type: { Name: string } }> } | null;
}
type Ctor<A extends unknown[]> = new (...args: A) => unknown;
interface KustoGlobal {
  Language: {
    GlobalState: { Default: { WithCluster(c: unknown): { WithDatabase(d: unknown): unknown } } };
    KustoCode: { ParseAndAnalyze(text: string, globals: unknown): BridgeCode };
    Symbols: {
      ScalarTypes: Record<string, unknown>;
      ColumnSymbol: Ctor<[string, unknown, string | null, unknown, unknown, unknown]>;
      TableSymbol: { $ctor4: Ctor<[string, unknown[]]> };
      MaterializedViewSymbol: { $ctor2: Ctor<[string, unknown[], string, string | null]> };
      FunctionSymbol: { $ctor16: Ctor<[string, string, string, string | null]> };
      DatabaseSymbol: { ctor: Ctor<[string, unknown[]]> };
      ClusterSymbol: { ctor: Ctor<[string, unknown[]]> };
    };
  };
}

let kusto: KustoGlobal | undefined;

/** Load the language service bundle once (≈0.3 s). */
export function loadKusto(): KustoGlobal {
  if (kusto) return kusto;
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@kusto/language-service-next/package.json'));
  require(path.join(dir, 'bridge.js'));
  require(path.join(dir, 'Kusto.Language.Bridge.js'));
  kusto = (globalThis as unknown as { Kusto: KustoGlobal }).Kusto;
  return kusto;
}

const SCALAR: Record<KustoType, string> = {
  string: 'String',
  datetime: 'DateTime',
  int: 'Int',
  long: 'Long',
  real: 'Real',
  bool: 'Bool',
  dynamic: 'Dynamic',
};

/** Build the language-service global state for a schema (one cluster, one database). */
export function globalsFor(schema: KqlSchema): unknown {
  const K = loadKusto().Language;
  const S = K.Symbols;
  const tables = schema.tables.map((t) => {
    const columns = t.columns.map((c) => new S.ColumnSymbol(c.name, S.ScalarTypes[SCALAR[c.type]], null, null, null, null));
    // A materialized view is a table to queries; policy commands on it need to know it is a view.
    return t.viewQuery ? new S.MaterializedViewSymbol.$ctor2(t.name, columns, t.viewQuery, null) : new S.TableSymbol.$ctor4(t.name, columns);
  });
  const functions = schema.functions.map((f) => new S.FunctionSymbol.$ctor16(f.name, f.parameters, f.body, null));
  const db = new S.DatabaseSymbol.ctor(schema.database, [...tables, ...functions]);
  const cluster = new S.ClusterSymbol.ctor('kubesift.local', [db]);
  return K.GlobalState.Default.WithCluster(cluster).WithDatabase(db);
}

/** Diagnostics for one query or one management command (warnings included). */
export function checkKql(text: string, globals: unknown): KqlDiagnostic[] {
  const code = loadKusto().Language.KustoCode.ParseAndAnalyze(text, globals);
  const list = code.GetDiagnostics();
  const out: KqlDiagnostic[] = [];
  for (let i = 0; i < list.Count; i++) {
    const d = list.getItem(i);
    out.push({ severity: String(d.Severity), message: d.Message, start: d.Start, length: d.Length, excerpt: text.slice(Math.max(0, d.Start - 20), d.Start + Math.max(d.Length, 1) + 20) });
  }
  return out;
}

/** Result columns (name:type) of a tabular query, or null when it is not tabular. */
export function resultColumns(query: string, globals: unknown): { name: string; type: string }[] | null {
  const code = loadKusto().Language.KustoCode.ParseAndAnalyze(query, globals);
  const cols = code.ResultType?.Columns;
  if (!cols) return null;
  const out: { name: string; type: string }[] = [];
  for (let i = 0; i < cols.Count; i++) {
    const c = cols.getItem(i);
    out.push({ name: c.Name, type: c.Type.Name });
  }
  return out;
}
