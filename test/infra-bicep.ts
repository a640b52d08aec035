// Reading Bicep files with tree-sitter-bicep, for the infra tests (test/infra.*.test.ts).
// tree-sitter gives a syntax tree, not Bicep's type checker: these helpers let tests check
// structure (declarations, module contracts, app-setting keys, API versions) without the
// Bicep CLI, which cannot be installed here.

import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Both packages are CommonJS native addons (prebuilt N-API binaries).
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Parser = require('tree-sitter') as typeof import('tree-sitter');
const Bicep = require('tree-sitter-bicep') as unknown;

export type Node = import('tree-sitter').SyntaxNode;

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const infraDir = join(repoRoot, 'infra');

const parser = new Parser();
parser.setLanguage(Bicep as Parameters<typeof parser.setLanguage>[0]);

export function parseBicep(source: string): Node {
  return parser.parse(source).rootNode;
}

export function parseBicepFile(path: string): Node {
  return parseBicep(readFileSync(path, 'utf8'));
}

/** Every `.bicep` file under infra/, repo-relative, sorted. */
export function bicepFiles(dir = infraDir): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.bicep')) out.push(relative(repoRoot, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** ERROR and MISSING nodes, as `line:col type "text"`. */
export function syntaxProblems(root: Node): string[] {
  const out: string[] = [];
  const walk = (n: Node) => {
    if (n.type === 'ERROR' || n.isMissing) {
      const what = n.isMissing ? `MISSING ${n.type}` : 'ERROR';
      out.push(`${n.startPosition.row + 1}:${n.startPosition.column + 1} ${what} ${JSON.stringify(n.text.slice(0, 60))}`);
    }
    for (const c of n.children) walk(c);
  };
  walk(root);
  return out;
}

export function namedChildren(n: Node, type: string): Node[] {
  return n.namedChildren.filter((c) => c.type === type);
}

/** Content of a string literal without interpolation; undefined otherwise. */
export function literalString(n: Node | null | undefined): string | undefined {
  if (!n || n.type !== 'string') return undefined;
  if (n.namedChildren.some((c) => c.type !== 'string_content' && c.type !== 'escape_sequence')) return undefined;
  // Bicep escapes: \' \\ \n \r \t \$
  const raw = n.text.startsWith("'''") ? n.text.slice(3, -3) : n.text.slice(1, -1);
  if (n.text.startsWith("'''")) return raw;
  return raw.replace(/\\(['\\nrt$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

/** Key of an object_property (identifier or string key). */
export function propertyKey(prop: Node): string {
  const k = prop.namedChildren[0];
  if (!k) throw new Error(`property without key at ${prop.startPosition.row + 1}`);
  return k.type === 'string' ? (literalString(k) ?? k.text) : k.text;
}

export function propertyValue(prop: Node): Node {
  const v = prop.namedChildren[prop.namedChildren.length - 1];
  if (!v) throw new Error(`property without value at ${prop.startPosition.row + 1}`);
  return v;
}

/** Properties of an object node as [key, valueNode]. */
export function objectEntries(obj: Node): [string, Node][] {
  return namedChildren(obj, 'object_property').map((p) => [propertyKey(p), propertyValue(p)]);
}

/** Walk `a.b.c` properties down nested objects. */
export function objectPath(obj: Node, ...keys: string[]): Node | undefined {
  let cur: Node | undefined = obj;
  for (const k of keys) {
    if (!cur || cur.type !== 'object') return undefined;
    cur = objectEntries(cur).find(([key]) => key === k)?.[1];
  }
  return cur;
}

/** Every node of `type` in a subtree (including the node itself), in document order. */
function nodesOfType(n: Node, type: string): Node[] {
  const out: Node[] = [];
  const walk = (x: Node) => {
    if (x.type === type) out.push(x);
    for (const c of x.namedChildren) walk(c);
  };
  walk(n);
  return out;
}

/** Every object literal in a subtree (including the node itself). */
export const objectsIn = (n: Node): Node[] => nodesOfType(n, 'object');

/** Decorator names (`description`, `secure`, …) attached to a declaration. */
function decoratorsOf(decl: Node): string[] {
  // A `#disable-next-line` directive may sit between the decorators and the declaration.
  let prev = decl.previousNamedSibling;
  while (prev?.type === 'diagnostic_comment') prev = prev.previousNamedSibling;
  if (!prev || prev.type !== 'decorators') return [];
  return namedChildren(prev, 'decorator').map((d) => {
    const call = d.namedChildren[0];
    return call?.type === 'call_expression' ? (call.childForFieldName('function')?.text ?? call.text) : (call?.text ?? '');
  });
}

/** The body object of a resource/module declaration (through `if (...)` and `[for ...]`). */
export function declarationBody(decl: Node): Node | undefined {
  for (const c of decl.namedChildren) {
    if (c.type === 'object') return c;
    if (c.type === 'if_statement') return c.namedChildren.find((x) => x.type === 'object');
    if (c.type === 'for_statement') {
      const body = c.childForFieldName('body');
      if (body?.type === 'object') return body;
      if (body?.type === 'if_statement') return body.namedChildren.find((x) => x.type === 'object');
    }
  }
  return undefined;
}

export interface ParamDecl {
  name: string;
  type: string;
  hasDefault: boolean;
  decorators: string[];
  node: Node;
}
export interface ResourceDecl {
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  node: Node;
}
export interface ModuleDecl {
  symbol: string;
  path: string;
  params: string[];
  node: Node;
}

export interface BicepFile {
  path: string;
  root: Node;
  params: ParamDecl[];
  vars: Map<string, Node>;
  resources: ResourceDecl[];
  modules: ModuleDecl[];
  outputs: Map<string, Node>;
}

export function readBicep(repoRelativePath: string): BicepFile {
  const root = parseBicepFile(join(repoRoot, repoRelativePath));
  const params: ParamDecl[] = namedChildren(root, 'parameter_declaration').map((d) => {
    const [id, type] = d.namedChildren;
    return {
      name: id!.text,
      type: type?.text ?? '',
      hasDefault: d.children.some((c) => c.type === '='),
      decorators: decoratorsOf(d),
      node: d,
    };
  });
  const vars = new Map<string, Node>();
  for (const d of namedChildren(root, 'variable_declaration')) {
    const id = d.namedChildren[0]!;
    vars.set(id.text, d.namedChildren[d.namedChildren.length - 1]!);
  }
  const resources: ResourceDecl[] = namedChildren(root, 'resource_declaration').map((d) => {
    const typeString = literalString(d.namedChildren[1]) ?? '';
    const [type, apiVersion] = typeString.split('@');
    return {
      symbol: d.namedChildren[0]!.text,
      type: type ?? '',
      apiVersion: apiVersion ?? '',
      existing: d.children.some((c) => c.type === 'existing'),
      node: d,
    };
  });
  const modules: ModuleDecl[] = namedChildren(root, 'module_declaration').map((d) => {
    const body = declarationBody(d);
    const paramsObj = body ? objectPath(body, 'params') : undefined;
    return {
      symbol: d.namedChildren[0]!.text,
      path: literalString(d.namedChildren[1]) ?? '',
      params: paramsObj ? objectEntries(paramsObj).map(([k]) => k) : [],
      node: d,
    };
  });
  const outputs = new Map<string, Node>();
  for (const d of namedChildren(root, 'output_declaration')) {
    outputs.set(d.namedChildren[0]!.text, d);
  }
  return { path: repoRelativePath, root, params, vars, resources, modules, outputs };
}

/** `<symbol>.outputs.<name>` references in a subtree. */
export function moduleOutputRefs(n: Node): { symbol: string; output: string; line: number }[] {
  const out: { symbol: string; output: string; line: number }[] = [];
  const walk = (x: Node) => {
    if (x.type === 'member_expression') {
      const obj = x.childForFieldName('object');
      const prop = x.childForFieldName('property');
      if (obj?.type === 'member_expression' && obj.childForFieldName('property')?.text === 'outputs') {
        const base = obj.childForFieldName('object');
        if (base?.type === 'identifier' && prop) out.push({ symbol: base.text, output: prop.text, line: x.startPosition.row + 1 });
      }
    }
    for (const c of x.namedChildren) walk(c);
  };
  walk(n);
  return out;
}

/** First-argument strings of calls to `fn` in a subtree (e.g. loadTextContent). */
export function callStringArgs(n: Node, fn: string): string[] {
  const out: string[] = [];
  const walk = (x: Node) => {
    if (x.type === 'call_expression' && x.childForFieldName('function')?.text === fn) {
      const args = x.childForFieldName('arguments');
      const first = args?.namedChildren[0];
      const s = literalString(first);
      if (s !== undefined) out.push(s);
    }
    for (const c of x.namedChildren) walk(c);
  };
  walk(n);
  return out;
}

/** Every string literal (without interpolation) in a subtree. */
export const stringLiterals = (n: Node): string[] => nodesOfType(n, 'string').flatMap((x) => literalString(x) ?? []);

/** Identifier nodes in a subtree (variable, parameter and resource references, function names). */
export const identifiers = (n: Node): Node[] => nodesOfType(n, 'identifier');
