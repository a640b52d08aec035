// Column tables are the single source of truth for ADX tables, JSON mappings and the
// TypeScript row types. Add a column here and every consumer follows.

export type KustoType = 'string' | 'datetime' | 'int' | 'long' | 'real' | 'bool' | 'dynamic';

export interface Column {
  readonly name: string;
  readonly type: KustoType;
  readonly doc: string;
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
