// Column tables are the single source of truth for ADX tables, JSON mappings and the
// TypeScript row types. Add a column here and every consumer follows.

export type KustoType = 'string' | 'datetime' | 'int' | 'long' | 'real' | 'bool' | 'dynamic';

export interface Column {
  readonly name: string;
  readonly type: KustoType;
  readonly doc: string;
  /**
   * AksAudit: the audit Event field the column is taken from (keys / array indexes). The
   * normalizer fills the row from these paths.
   */
  readonly event?: readonly string[];
  /**
   * JSON mapping path when the landed line does not carry the column under its own name
   * (default `$.<name>`). AksAudit columns that copy an Event field verbatim are read by
   * ADX from the Event's own JSON text, landed unchanged under `Event` (land/ndjson.ts).
   */
  readonly path?: string;
}

/** JSONPath of a key/index path as ADX mappings write it: `.key`, `['odd.key']`, `[0]`. */
export function jsonPath(root: string, segments: readonly string[]): string {
  let p = root;
  for (const s of segments) {
    if (s.includes("'")) throw new Error(`no JSONPath for key ${s}`);
    p += /^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `['${s}']`;
  }
  return p;
}

/** TypeScript value carried in a row for each Kusto type (datetimes are ISO-8601 UTC strings). */
export interface KustoValue {
  string: string;
  datetime: string | null;
  int: number | null;
  long: number | null;
  real: number | null;
  bool: boolean;
  dynamic: unknown;
}

/** Row type derived from a column table declared `as const`. */
export type RowOf<C extends readonly Column[]> = {
  [K in C[number] as K['name']]: KustoValue[K['type']];
};

/** Helper that keeps literal names/types while checking the shape. */
export const columns = <const C extends readonly Column[]>(cols: C): C => cols;
