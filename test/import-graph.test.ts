// Cold start: what the app entry (functions/index.ts, package.json "main") loads before the
// first event is what every new instance pays. Its static import graph must not reach the
// KQL language service, Avro, the dataset generators or build/test tooling: those load
// lazily (dynamic import) on the paths that need them. `npm run bench` times the imports;
// this test keeps the graph honest as triggers change.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

const HEAVY_PACKAGES = ['avsc', '@kusto/language-service-next', 'playwright-core', 'tree-sitter', 'tree-sitter-bicep', 'typescript', 'vitest', 'azurite', 'yaml'];
const HEAVY_FOLDERS = ['functions/generate/'];

/** Specifiers a module imports at load time (type-only imports and import() excluded). */
function staticImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const c = st.importClause;
      if (c?.isTypeOnly) continue;
      const named = c?.namedBindings;
      const onlyTypes = c && !c.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) out.push((st.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) {
      out.push((st.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

function graph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const todo = [join(ROOT, entry)];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const spec of staticImports(f)) {
      if (spec.startsWith('.')) todo.push(resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!packages.has(pkg)) packages.set(pkg, relative(ROOT, f));
      }
    }
  }
  return { files, packages };
}

describe('app entry import graph', () => {
  const { files, packages } = graph('functions/index.ts');

  it('follows the entry into the triggers (the Event Hub one included)', () => {
    const rel = [...files].map((f) => relative(ROOT, f));
    expect(rel).toContain('functions/triggers/aksDiagnostics.ts');
    expect(rel.filter((f) => f.startsWith('functions/triggers/')).length).toBeGreaterThan(3);
    expect(packages.has('@azure/functions')).toBe(true);
  });

  it('loads no heavy package and no generator at start', () => {
    const heavy = HEAVY_PACKAGES.filter((p) => packages.has(p)).map((p) => `${p} (imported by ${packages.get(p)})`);
    const gen = [...files].map((f) => relative(ROOT, f)).filter((f) => HEAVY_FOLDERS.some((h) => f.startsWith(h)));
    expect(heavy).toEqual([]);
    expect(gen).toEqual([]);
  });
});
