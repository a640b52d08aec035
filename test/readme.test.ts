// The README is the contract with a new user: its commands, links and settings table must be real.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsTable } from '../scripts/commands/config.js';
import { CONFIG_KEYS } from '../functions/config.js';

const root = new URL('..', import.meta.url);
const read = (p: string): string => readFileSync(new URL(p, root), 'utf8');
const readme = read('README.md');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

/** Text between `<!-- name:start -->` and `<!-- name:end -->`. */
function section(name: string): string {
  const m = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(readme);
  if (!m) throw new Error(`README has no ${name} markers`);
  return m[1]!;
}

describe('README', () => {
  it('shows the settings table exactly as `sift config` renders it from the schema', () => {
    expect(section('config')).toBe(settingsTable());
    for (const k of CONFIG_KEYS) expect(section('config'), k).toContain(`\`${k}\``);
  });

  it('names the two commands, and .ci/run runs the test command after npm ci', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toMatch(/^npm test\b/m);
    const ci = read('.ci/run').split('\n').filter((l) => /^\s*npm /.test(l)).map((l) => l.trim());
    expect(ci).toEqual(['npm ci', 'npm test']);
  });

  it('only uses npm scripts that exist', () => {
    const used = new Set([...readme.matchAll(/npm run (?:--silent )?([a-z:]+)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(3);
    for (const s of used) expect(scripts, s).toHaveProperty(s);
    expect(scripts).toHaveProperty('start');
    expect(scripts).toHaveProperty('test');
  });

  it('links only to files that exist', () => {
    const links = [...readme.matchAll(/\]\(((?:docs|infra|policies)\/[^)#]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    for (const l of links) expect(existsSync(new URL(l, root)), l).toBe(true);
  });

  it('lists every sift subcommand it mentions in the dispatcher', () => {
    const sift = read('scripts/sift.ts');
    const used = [...readme.matchAll(/sift -- ([a-z]+)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(3);
    for (const name of used) expect(sift, name).toMatch(new RegExp(`^  ${name}: \\{ summary:`, 'm'));
  });
});
