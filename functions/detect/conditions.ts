// Condition combinators (plain data) and their compiler. Rules are written as Cond trees
// over named fields; `compile` turns a tree into one closure per node, once per policy,
// so evaluating a row allocates nothing but the field values it actually reads.
//
// Multi-valued semantics follow Falco: `in` is true when there is at least one value and
// EVERY value is in the set (one untrusted container image is enough to fail it);
// `intersects` is true when ANY value is. A missing field makes every test false, so
// `not(test)` on a missing field is true, as in Falco.

import { networkMatcher } from './networks.js';

export type Cond<F extends string = string> =
  | { readonly op: 'eq'; readonly field: F; readonly value: string }
  | { readonly op: 'in'; readonly field: F; readonly values: readonly string[] }
  | { readonly op: 'intersects'; readonly field: F; readonly values: readonly string[] }
  | { readonly op: 'startsWith'; readonly field: F; readonly prefixes: readonly string[] }
  | { readonly op: 'contains'; readonly field: F; readonly values: readonly string[] }
  | { readonly op: 'matches'; readonly field: F; readonly pattern: RegExp }
  | { readonly op: 'inNetworks'; readonly field: F; readonly networks: readonly string[] }
  | { readonly op: 'exists'; readonly field: F }
  | { readonly op: 'and'; readonly of: readonly Cond<F>[] }
  | { readonly op: 'or'; readonly of: readonly Cond<F>[] }
  | { readonly op: 'not'; readonly cond: Cond<F> }
  | { readonly op: 'const'; readonly value: boolean };

export const eq = <F extends string>(field: F, value: string): Cond<F> => ({ op: 'eq', field, value });
export const isIn = <F extends string>(field: F, values: readonly string[]): Cond<F> => ({ op: 'in', field, values });
export const intersects = <F extends string>(field: F, values: readonly string[]): Cond<F> => ({ op: 'intersects', field, values });
export const startsWith = <F extends string>(field: F, ...prefixes: string[]): Cond<F> => ({ op: 'startsWith', field, prefixes });
export const startsWithAny = <F extends string>(field: F, prefixes: readonly string[]): Cond<F> => ({ op: 'startsWith', field, prefixes });
export const contains = <F extends string>(field: F, values: readonly string[]): Cond<F> => ({ op: 'contains', field, values });
export const matches = <F extends string>(field: F, pattern: RegExp): Cond<F> => ({ op: 'matches', field, pattern });
/** The field is an IP address inside one of `networks` (addresses or CIDR, detect/networks.ts). */
export const inNetworks = <F extends string>(field: F, networks: readonly string[]): Cond<F> => ({ op: 'inNetworks', field, networks });
export const exists = <F extends string>(field: F): Cond<F> => ({ op: 'exists', field });
export const and = <F extends string>(...of: Cond<F>[]): Cond<F> => ({ op: 'and', of });
export const or = <F extends string>(...of: Cond<F>[]): Cond<F> => ({ op: 'or', of });
export const not = <F extends string>(cond: Cond<F>): Cond<F> => ({ op: 'not', cond });
export const always: Cond<never> = { op: 'const', value: true };
export const never: Cond<never> = { op: 'const', value: false };
export const when = (value: boolean): Cond<never> => ({ op: 'const', value });

type Value = string | undefined | readonly string[];

/** A table of extractors plus a per-row cache: each field is read at most once per row. */
export class RowContext<R> {
  private row!: R;
  private gen = 0;
  private readonly stamps: Uint32Array;
  private readonly values: Value[];

  constructor(private readonly getters: readonly ((row: R) => Value)[]) {
    this.stamps = new Uint32Array(getters.length);
    this.values = new Array<Value>(getters.length).fill(undefined);
  }

  reset(row: R): void {
    this.row = row;
    this.gen = (this.gen + 1) >>> 0 || 1;
  }

  current(): R {
    return this.row;
  }

  get(i: number): Value {
    if (this.stamps[i] === this.gen) return this.values[i];
    const v = this.getters[i]!(this.row);
    this.values[i] = v;
    this.stamps[i] = this.gen;
    return v;
  }
}

export type Test<R> = (ctx: RowContext<R>) => boolean;

const isMulti = (v: Value): v is readonly string[] => Array.isArray(v);

/** Compile a condition against a field index (name → getter position). Throws on unknown fields. */
export function compile<R>(cond: Cond, index: ReadonlyMap<string, number>): Test<R> {
  const slot = (field: string): number => {
    const i = index.get(field);
    if (i === undefined) throw new Error(`unknown field ${field}`);
    return i;
  };
  switch (cond.op) {
    case 'const': {
      const v = cond.value;
      return () => v;
    }
    case 'eq': {
      const i = slot(cond.field), want = cond.value;
      return (c) => {
        const v = c.get(i);
        return isMulti(v) ? v.includes(want) : v === want;
      };
    }
    case 'in': {
      const i = slot(cond.field), set = new Set(cond.values);
      return (c) => {
        const v = c.get(i);
        if (isMulti(v)) {
          if (v.length === 0) return false;
          for (let k = 0; k < v.length; k++) if (!set.has(v[k]!)) return false;
          return true;
        }
        return v !== undefined && set.has(v);
      };
    }
    case 'intersects': {
      const i = slot(cond.field), set = new Set(cond.values);
      return (c) => {
        const v = c.get(i);
        if (isMulti(v)) {
          for (let k = 0; k < v.length; k++) if (set.has(v[k]!)) return true;
          return false;
        }
        return v !== undefined && set.has(v);
      };
    }
    case 'startsWith':
    case 'contains': {
      // Loops, not .some(callback): a callback closing over the value would be a new
      // closure for every row evaluated.
      const i = slot(cond.field), parts = [...(cond.op === 'startsWith' ? cond.prefixes : cond.values)];
      const one = cond.op === 'startsWith'
        ? (s: string): boolean => {
            for (let k = 0; k < parts.length; k++) if (s.startsWith(parts[k]!)) return true;
            return false;
          }
        : (s: string): boolean => {
            for (let k = 0; k < parts.length; k++) if (s.includes(parts[k]!)) return true;
            return false;
          };
      return (c) => {
        const v = c.get(i);
        if (isMulti(v)) {
          for (let k = 0; k < v.length; k++) if (one(v[k]!)) return true;
          return false;
        }
        return v !== undefined && one(v);
      };
    }
    case 'matches': {
      const i = slot(cond.field), re = cond.pattern;
      return (c) => {
        const v = c.get(i);
        if (isMulti(v)) {
          for (let k = 0; k < v.length; k++) if (re.test(v[k]!)) return true;
          return false;
        }
        return v !== undefined && re.test(v);
      };
    }
    case 'inNetworks': {
      const i = slot(cond.field), inside = networkMatcher(cond.networks);
      return (c) => {
        const v = c.get(i);
        if (isMulti(v)) {
          if (v.length === 0) return false;
          for (let k = 0; k < v.length; k++) if (!inside(v[k]!)) return false;
          return true;
        }
        return v !== undefined && inside(v);
      };
    }
    case 'exists': {
      const i = slot(cond.field);
      return (c) => {
        const v = c.get(i);
        return isMulti(v) ? v.length > 0 : v !== undefined;
      };
    }
    case 'and': {
      const parts = cond.of.map((x) => compile<R>(x, index));
      if (parts.length === 2) {
        const [a, b] = parts as [Test<R>, Test<R>];
        return (c) => a(c) && b(c);
      }
      return (c) => {
        for (let k = 0; k < parts.length; k++) if (!parts[k]!(c)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = cond.of.map((x) => compile<R>(x, index));
      return (c) => {
        for (let k = 0; k < parts.length; k++) if (parts[k]!(c)) return true;
        return false;
      };
    }
    case 'not': {
      const inner = compile<R>(cond.cond, index);
      return (c) => !inner(c);
    }
  }
}

/** Fields a condition reads (for evidence and docs). */
export function fieldsOf(cond: Cond, out: Set<string> = new Set()): Set<string> {
  switch (cond.op) {
    case 'and':
    case 'or':
      for (const c of cond.of) fieldsOf(c, out);
      return out;
    case 'not':
      return fieldsOf(cond.cond, out);
    case 'const':
      return out;
    default:
      out.add(cond.field);
      return out;
  }
}

/** "%field" placeholders of an output template, pre-split once. */
export interface Template {
  readonly literals: readonly string[];
  readonly slots: readonly number[];
  readonly fields: readonly string[];
}

export function parseTemplate(text: string, index: ReadonlyMap<string, number>): Template {
  const literals: string[] = [];
  const slots: number[] = [];
  const fields: string[] = [];
  const re = /%([a-z][a-zA-Z0-9_.]*[a-zA-Z0-9_])/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const name = m[1]!;
    const i = index.get(name);
    if (i === undefined) throw new Error(`output template names unknown field ${name}`);
    literals.push(text.slice(last, m.index));
    slots.push(i);
    fields.push(name);
    last = m.index + m[0].length;
  }
  literals.push(text.slice(last));
  return { literals, slots, fields };
}

/** Render a template; missing values print as <NA> (as Falco does), lists as comma-joined. */
export function render<R>(t: Template, ctx: RowContext<R>): string {
  let s = t.literals[0]!;
  for (let k = 0; k < t.slots.length; k++) {
    const v = ctx.get(t.slots[k]!);
    s += (v === undefined ? '<NA>' : isMulti(v) ? (v.length ? v.join(',') : '<NA>') : v) + t.literals[k + 1]!;
  }
  return s;
}

/** The template's field values as an evidence object. */
export function evidence<R>(t: Template, ctx: RowContext<R>, extra: readonly [string, number][] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let k = 0; k < t.slots.length; k++) {
    const v = ctx.get(t.slots[k]!);
    if (v !== undefined) out[t.fields[k]!] = v;
  }
  for (const [name, i] of extra) {
    const v = ctx.get(i);
    if (v !== undefined) out[name] = v;
  }
  return out;
}
