// What ADX makes of a landed JSON line: each column read at its mapping path (the JSONPath
// subset ADX mappings use: `.key`, `['key']`, `[n]`), with Kusto's typing for the values
// our rows carry: a string column stores '' for a missing value, others null. Tests compare
// landed lines with in-memory rows through this, as the database would see them.
import { jsonMapping } from '../../functions/kusto/render.js';
import { tableDef } from '../../functions/kusto/tables.js';

/** `$.a['b.c'][0]` → ['a', 'b.c', 0]. */
export function parsePath(path: string): (string | number)[] {
  if (!path.startsWith('$')) throw new Error(`not a JSONPath: ${path}`);
  const out: (string | number)[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_]*)|\['([^']*)'\]|\[(\d+)\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw new Error(`unsupported JSONPath ${path}`);
    out.push(m[1] ?? m[2] ?? Number(m[3]));
  }
  return out;
}

function at(v: unknown, path: readonly (string | number)[]): unknown {
  let cur = v;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/**
 * Values whose JSON type differs from the column's: a string column holds their JSON text;
 * an int column a 32-bit integer, or the decimal text of one, and null for anything else
 * ("floating point value ingested into an int column: NULL value filled", ADX's page on
 * ingesting invalid data). That ADX parses an integer's text is this project's assumption.
 */
const same = (v: unknown): unknown => v;
const STORE: Partial<Record<string, (v: unknown) => unknown>> = {
  string: (v) => (typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)),
  int: (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,10}$/.test(v) ? Number(v) : NaN;
    return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? n : null;
  },
};

/** One landed line (parsed) → the row ADX would store, keyed by column name. */
export function ingested(table: string, line: Record<string, unknown>): Record<string, unknown> {
  const def = tableDef(table);
  const mapping = JSON.parse(jsonMapping(def.columns)) as { column: string; Properties: { Path: string } }[];
  const row: Record<string, unknown> = {};
  for (const m of mapping) {
    const v = at(line, parsePath(m.Properties.Path));
    const type = def.columns.find((c) => c.name === m.column)!.type;
    row[m.column] = v === undefined || v === null ? (type === 'string' ? '' : null) : (STORE[type] ?? same)(v);
  }
  return row;
}

/** An in-memory row as ADX stores it: JSON values, '' for a missing string, null otherwise. */
export function stored(table: string, row: object): Record<string, unknown> {
  const json = JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
  return Object.fromEntries(tableDef(table).columns.map((c) => [c.name, json[c.name] ?? (c.type === 'string' ? '' : null)]));
}
