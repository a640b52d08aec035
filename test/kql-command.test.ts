// `npm run kql`: --out writes exactly the rendered script; --apply sends every command, one
// per request and in order, to KUBESIFT_KUSTO_CLUSTER_URL (here a recording stand-in).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDatabaseCommand, run } from '../scripts/commands/kql.js';
import { databaseCommands, renderDatabaseScript } from '../functions/kusto/render.js';
import { useAzurite } from './support/azurite.js';
import { startKustoStandIn, type KustoStandIn } from './support/kustoStandIn.js';

const azurite = useAzurite();
let standIn: KustoStandIn;
const saved: Record<string, string | undefined> = {};
const ENV = ['KUBESIFT_SINK', 'KUBESIFT_KUSTO_CLUSTER_URL', 'KUBESIFT_KUSTO_AUTH', 'KUBESIFT_KUSTO_DATABASE'];

beforeAll(async () => {
  standIn = await startKustoStandIn(azurite.current);
  for (const k of ENV) saved[k] = process.env[k];
});
afterAll(async () => {
  for (const k of ENV) if (saved[k] === undefined) delete process.env[k];
  else process.env[k] = saved[k];
  await standIn.stop();
});

describe('sift kql', () => {
  it("renders the Window_<id>() functions of the policy: --policy FILE, else the environment's, as the app reads it (only the defaults' were)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kql-'));
    const example = path.join(import.meta.dirname, '..', 'policies', 'example.json');
    const script = async (argv: string[]) => {
      const out = path.join(dir, 'database.kql');
      expect(await run([...argv, '--out', out])).toBe(0);
      return readFileSync(out, 'utf8');
    };
    expect(await script([])).not.toContain('Window_scheduler_failures');
    expect(await script(['--policy', example])).toContain('Window_scheduler_failures');
    const savedPath = process.env.KUBESIFT_POLICY_PATH;
    process.env.KUBESIFT_POLICY_PATH = example;
    try {
      expect(await script([])).toContain('Window_scheduler_failures');
    } finally {
      if (savedPath === undefined) delete process.env.KUBESIFT_POLICY_PATH;
      else process.env.KUBESIFT_POLICY_PATH = savedPath;
    }
    expect(await run(['--policy', path.join(dir, 'missing.json')])).toBe(2);
  });

  it('--out writes the rendered script', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'kql-')), 'nested', 'database.kql');
    expect(await run(['--out', out, '--raw-landing'])).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(renderDatabaseScript({ rawLanding: true }));
  });

  it('--apply --create-database runs each command in order against the cluster', async () => {
    Object.assign(process.env, { KUBESIFT_SINK: 'direct', KUBESIFT_KUSTO_CLUSTER_URL: standIn.url, KUBESIFT_KUSTO_AUTH: 'none', KUBESIFT_KUSTO_DATABASE: 'labdb' });
    standIn.commands.length = 0;
    expect(await run(['--apply', '--create-database'])).toBe(0);
    const sent = standIn.commands.filter((c) => !c.csl.startsWith('.get'));
    expect(sent[0]).toMatchObject({ db: 'NetDefaultDB', csl: createDatabaseCommand('labdb') });
    // The emulator has no materialized views: --create-database leaves the <Table>Unique views out.
    expect(sent.slice(1).map((c) => c.csl)).toEqual(databaseCommands({ noUniqueViews: true }).map((c) => c.command));
    expect(sent.some((c) => c.csl.includes('materialized-view'))).toBe(false);
    expect(sent.slice(1).every((c) => c.db === 'labdb')).toBe(true);
  });

  it('--apply stops at the first failing command and exits non-zero', async () => {
    standIn.commands.length = 0;
    standIn.behaviour.failCommands = /policy retention/;
    try {
      expect(await run(['--apply'])).toBe(1);
    } finally {
      standIn.behaviour.failCommands = undefined;
    }
    expect(standIn.commands.at(-1)!.csl).toMatch(/^\.alter-merge table \w+ policy retention/);
    expect(standIn.commands.filter((c) => c.status === 500)).toHaveLength(1);
  });
});
