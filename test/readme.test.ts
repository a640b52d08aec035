// The README is the contract with a new user: its commands, links and settings table must be real.
import { existsSync, readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
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

describe('docs/ingest.md', () => {
  it("its settings table holds every KubeSift setting as `sift config` renders it (the host's own settings beside them)", () => {
    const rendered = new Map(settingsTable().split('\n').map((l) => [/^\| `([^`]+)`/.exec(l)?.[1], l] as const));
    const rows = read('docs/ingest.md').split('\n').filter((l) => /^\| `[A-Za-z0-9_]+` \| /.test(l));
    const ours = rows.filter((l) => CONFIG_KEYS.some((k) => l.startsWith(`| \`${k}\` |`)));
    // In the doc's own order (by topic).
    expect(ours.map((l) => /^\| `([^`]+)`/.exec(l)![1]).sort()).toEqual([...CONFIG_KEYS].sort());
    for (const line of ours) expect(line).toBe(rendered.get(/^\| `([^`]+)`/.exec(line)![1]));
  });
});

describe('docs/detections.md', () => {
  it('lists the k8s-audit rule pack as the code defines it: name, id, priority, tags, family', async () => {
    const { K8S_AUDIT_RULES } = await import('../functions/detect/k8sAuditRules.js');
    const rows = read('docs/detections.md')
      .split('\n')
      .filter((l) => /^\| [^|]+ \| `k8s_[a-z0-9_]+` \|/.test(l))
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
      .filter((cells) => cells.length === 5);
    const byId = (a: string[], b: string[]): number => (a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : 0);
    expect(rows.sort(byId)).toEqual(K8S_AUDIT_RULES.map((r) => [r.name, `\`${r.id}\``, r.priority, r.tags.join(', '), r.family]).sort(byId));
  });

  it("lists KubeSift's audit rules as the code defines them", async () => {
    const { KUBESIFT_AUDIT_RULES } = await import('../functions/detect/k8sAuditRules.js');
    const rows = read('docs/detections.md')
      .split('\n')
      .filter((l) => /^\| [^|]+ \| `kubesift_[a-z0-9_]+` \|/.test(l))
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(rows).toEqual(KUBESIFT_AUDIT_RULES.map((r) => [r.name, `\`${r.id}\``, r.priority, r.tags.join(', '), r.family]));
  });
});

describe('README example against the shared fixture', () => {
  const fixture = fileURLToPath(new URL('../../shared/fixtures/aks/sysdiglabs_aks-audit-log/event.json', import.meta.url));
  it.skipIf(!existsSync(fixture))('`sift process` prints the summary line the README shows', async () => {
    const { parseProcessArgs, processInput } = await import('../scripts/commands/process.js');
    const m = /npm run --silent sift -- process \.\.\/shared\/(\S+) \| tail -1\n# (\{.*\})\n/.exec(readme);
    expect(m).not.toBeNull();
    const opts = parseProcessArgs([fileURLToPath(new URL(`../../shared/${m![1]}`, import.meta.url))]);
    if (opts === 'help') throw new Error('parsed as help');
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    expect(await processInput(opts, Readable.from([]), out, new PassThrough())).toBe(0);
    expect(Buffer.concat(chunks).toString('utf8').trim().split('\n').at(-1)).toBe(m![2]);
  });
});
