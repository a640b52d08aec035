// The deployment package: .funcignore keeps local state and tooling out (the webhook secrets
// `npm start` generates, Azurite's data, tests, docs) and never drops a file the app runs from,
// in either deployer's reading of the file:
//   - azd deploy reads it as gitignore (Microsoft's azd packaging docs), modelled here by the
//     `ignore` package (the gitignore matcher the Azure Functions GitHub Action uses for it);
//   - Core Tools (`func azure functionapp publish`) matches each pattern, its leading '/'
//     dropped, against the start of the path: `**` is one or more characters, `*` one or more
//     that are not '/', and nothing anchors the end (its GitIgnoreParser).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { ASSET_TYPES } from '../functions/ui/assets.js';
import { wildcardSource } from './support/regex.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const text = readFileSync(`${ROOT}.funcignore`, 'utf8');
const patterns = text
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

const gitignore = ignore().add(text);

const coreTools = new RegExp(`^(?:${patterns.map((p) => wildcardSource(p.replace(/^\//, ''), { '**': '.+', '*': '[^/]+' })).join('|')})`);

const READINGS: [string, (path: string) => boolean][] = [
  ['gitignore (azd)', (p) => gitignore.ignores(p)],
  ['Core Tools', (p) => coreTools.test(p)],
];

/** Every file of every production dependency, as a path from the project root. */
function productionFiles(): string[] {
  const lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const out: string[] = [];
  for (const [dir, meta] of Object.entries(lock.packages)) {
    if (dir === '' || meta.dev === true) continue;
    for (const e of readdirSync(`${ROOT}${dir}`, { recursive: true, withFileTypes: true })) {
      const rel = `${e.parentPath.slice(ROOT.length)}/${e.name}`;
      // A nested node_modules is a package of its own, with its own lock entry.
      if (e.isFile() && !rel.slice(dir.length).includes('/node_modules/')) out.push(rel);
    }
  }
  return out;
}

describe.each(READINGS)('.funcignore read as %s', (_name, ignored) => {
  it('keeps out local state, secrets and tooling', () => {
    for (const p of ['.kubesift/webhook-secrets.json', '.azurite/__blobstorage__/x', 'local.settings.json', 'test/pipeline.test.ts', 'docs/adx.md', 'infra/main.bicep', 'scripts/local.ts', 'functions/pipeline.ts', 'functions/land/payload.ts', 'a.cpuprofile', 'dist/scripts/sift.js', 'dist/test/support/kustoStandIn.js'])
      expect(ignored(p), p).toBe(true);
  });

  it('keeps what the app runs from', () => {
    const main = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { main: string }).main;
    const page = ['index.html', ...Object.keys(ASSET_TYPES)].map((f) => `functions/ui/assets/${f}`);
    for (const p of [main, 'dist/functions/pipeline.js', 'dist/functions/ui/assets.js', 'host.json', 'package.json', ...page, 'policies/example.json'])
      expect(ignored(p), p).toBe(false);
  });

  it('keeps every file of every production dependency', () => {
    const files = productionFiles();
    // The walk found the installed tree (the dependencies' own test/, scripts/ and tsconfig.json among it).
    expect(files.length).toBeGreaterThan(1000);
    expect(files.some((f) => /\/(test|scripts)\//.test(f))).toBe(true);
    expect(files.filter(ignored)).toEqual([]);
  });
});

it('anchors every pattern at the project root, so both readings agree', () => {
  expect(patterns.filter((p) => !p.startsWith('/'))).toEqual([]);
});
