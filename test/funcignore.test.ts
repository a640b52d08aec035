// The deployment package: .funcignore keeps local state and tooling out (the webhook secrets
// `npm start` generates, Azurite's data, tests, docs) and never drops a file the app runs from.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const patterns = readFileSync(new URL('../.funcignore', import.meta.url), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

/** gitignore semantics for the pattern forms this file uses: `dir/`, `name`, `*.ext`, `dir/**\/*.ext`. */
function ignored(path: string): boolean {
  return patterns.some((p) => {
    if (p.endsWith('/')) return path.startsWith(p);
    if (p.startsWith('*.')) return path.endsWith(p.slice(1));
    const deep = /^(.+)\/\*\*\/\*(\.\w+)$/.exec(p);
    if (deep) return path.startsWith(`${deep[1]}/`) && path.endsWith(deep[2]!);
    return path === p;
  });
}

describe('.funcignore', () => {
  it('keeps out local state, secrets and tooling', () => {
    for (const p of ['.kubesift/webhook-secrets.json', '.azurite/__blobstorage__/x', 'local.settings.json', 'test/pipeline.test.ts', 'docs/adx.md', 'infra/main.bicep', 'scripts/local.ts', 'functions/pipeline.ts', 'a.cpuprofile'])
      expect(ignored(p), p).toBe(true);
  });

  it('keeps what the app runs from', () => {
    const main = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { main: string }).main;
    for (const p of [main, 'dist/functions/pipeline.js', 'dist/functions/ui/assets.js', 'host.json', 'package.json', 'node_modules/zod/package.json', 'functions/ui/assets/index.html', 'functions/ui/assets/app.js', 'functions/ui/assets/app.css', 'policies/example.json'])
      expect(ignored(p), p).toBe(false);
  });
});
