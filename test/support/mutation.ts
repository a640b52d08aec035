// Seeded damage for mutation tests: values of another JSON type anywhere inside a value, and
// text cut or spliced. Deterministic for one Rng, so a failure names a batch that replays.
import type { BatchResult } from '../../functions/contracts.js';
import type { Rng } from '../../functions/generate/prng.js';
import { AksAuditColumns, AksControlPlaneColumns, DetectionsColumns } from '../../functions/kusto/pipelineTables.js';

/** Values of every JSON type, and a few chosen to hurt: prototype keys, lone surrogates, 70 KB. */
export const ODD: readonly unknown[] = [
  null, 0, -1, 2.5, 1e308, true, '', 'x', '2024-13-45T99:99:99Z', '\ud800', '\u0000\n"\\', 'é'.repeat(70_000), [], [1, 'a'], {}, { a: { b: [] } },
  JSON.parse('{"__proto__":{"polluted":1}}'), { constructor: 'x', toString: 1, hasOwnProperty: [] },
];

/**
 * A copy of `v` with one value somewhere inside replaced, removed or added. `keys`: names the
 * code under test reads, so an added key lands where it is looked for.
 */
export function mutateValue(rng: Rng, v: unknown, keys: readonly string[], depth = 0): unknown {
  if (v === null || typeof v !== 'object' || depth > 12 || rng.chance(0.15)) return rng.pick(ODD);
  if (Array.isArray(v)) {
    if (v.length === 0) return rng.pick(ODD);
    const a = [...v];
    const i = rng.int(a.length);
    a[i] = mutateValue(rng, a[i], keys, depth + 1);
    return a;
  }
  const o = { ...(v as Record<string, unknown>) };
  const own = Object.keys(o);
  // defineProperty: `__proto__` becomes an own key, as JSON.parse makes it.
  if (own.length === 0 || rng.chance(0.1)) Object.defineProperty(o, rng.pick(keys), { value: rng.pick(ODD), enumerable: true, writable: true, configurable: true });
  else {
    const k = rng.pick(own);
    if (rng.chance(0.1)) delete o[k];
    else o[k] = mutateValue(rng, o[k], keys, depth + 1);
  }
  return o;
}

const SPLICE = ['"', '\\', '{', '[', ']', '}', ',', '\u0000', '\ud800', 'é', '\n', '\\u', '1e999', '{"a":'];

/** Text damage: cut, a character replaced, a span dropped, something spliced in. */
const TEXT_DAMAGE: ((rng: Rng, t: string, i: number) => string)[] = [
  (_r, t, i) => t.slice(0, i),
  (r, t, i) => t.slice(0, i) + r.pick(SPLICE) + t.slice(i + 1),
  (r, t, i) => t.slice(0, i) + t.slice(i + r.int(50)),
  (r, t, i) => t.slice(0, i) + r.pick(SPLICE) + t.slice(i),
];
export const damage = (rng: Rng, t: string): string => rng.pick(TEXT_DAMAGE)(rng, t, rng.int(t.length));

const COLUMNS = { AksAudit: AksAuditColumns, AksControlPlane: AksControlPlaneColumns, Detections: DetectionsColumns } as const;
const OF_TYPE: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  datetime: (v) => v === null || (typeof v === 'string' && !Number.isNaN(Date.parse(v))),
  int: (v) => v === null || (Number.isInteger(v) && Math.abs(v as number) < 2 ** 31),
  long: (v) => v === null || Number.isSafeInteger(v),
  real: (v) => v === null || (typeof v === 'number' && Number.isFinite(v)),
  bool: (v) => typeof v === 'boolean',
  dynamic: () => true,
};

/** Every column of every row holds a value of its type; the first offender, else ''. */
export function columnTypeError(r: BatchResult): string {
  const tables: [keyof typeof COLUMNS, readonly object[]][] = [['AksAudit', r.rows.AksAudit], ['AksControlPlane', r.rows.AksControlPlane], ['Detections', r.detections]];
  for (const [table, rows] of tables)
    for (const row of rows)
      for (const c of COLUMNS[table]) {
        const v = (row as Record<string, unknown>)[c.name];
        if (!OF_TYPE[c.type]!(v)) return `${table}.${c.name} (${c.type}) = ${JSON.stringify(v)?.slice(0, 80)}`;
      }
  return '';
}
