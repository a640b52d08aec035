// The ADX database script that Bicep deploys (infra/kql/database.kql, loaded by
// infra/modules/adx.bicep) is exactly what the project renders, and fits the documented
// constraints of database scripts: database-level commands starting with .create,
// .create-or-alter, .create-merge, .alter, .alter-merge or .add, separated by blank lines.
//
// Regenerate after changing tables, mappings or functions:
//   npm run kql -- --out infra/kql/database.kql

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDatabaseScript } from '../functions/kusto/render.js';
import { TABLES } from '../functions/kusto/tables.js';
import { callStringArgs, declarationBody, identifiers, infraDir, literalString, objectPath, readBicep } from './infra-bicep.js';

const KQL_PATH = join(infraDir, 'kql/database.kql');
const committed = readFileSync(KQL_PATH, 'utf8');

const ALLOWED_VERBS = ['.create', '.create-or-alter', '.create-merge', '.alter', '.alter-merge', '.add'];
// loadTextContent() reads at most 131,072 characters.
const LOAD_TEXT_LIMIT = 131_072;

/** Commands of a database script: paragraphs separated by blank lines. */
function commands(script: string): string[] {
  return script
    .split(/\r?\n[ \t]*\r?\n/)
    .map((c) => c.trim())
    .filter(Boolean);
}

function problems(cmds: string[]): string[] {
  const out: string[] = [];
  for (const c of cmds) {
    const verb = c.split(/\s/, 1)[0]!;
    const head = c.slice(0, 80);
    if (!ALLOWED_VERBS.includes(verb)) out.push(`verb ${verb} not allowed: ${head}`);
    if (/^\.[\w-]+\s+(cluster|database\s+\S+\s+(?!policy\b))/.test(c) && !/^\.[\w-]+\s+database\s+\S+\s+policy\b/.test(c))
      out.push(`not a database-level command: ${head}`);
    if (/^\.(drop|delete|purge|set-or-replace)\b/m.test(c)) out.push(`destructive command: ${head}`);
  }
  return out;
}

describe('infra/kql/database.kql', () => {
  it('equals renderDatabaseScript() (regenerate: npm run kql -- --out infra/kql/database.kql)', () => {
    expect(committed).toBe(renderDatabaseScript());
  });

  it('fits loadTextContent()', () => {
    expect(committed.length).toBeLessThan(LOAD_TEXT_LIMIT);
  });

  it('holds only database-level create/alter commands, one per paragraph', () => {
    const cmds = commands(committed);
    expect(cmds.length).toBeGreaterThan(5);
    expect(problems(cmds)).toEqual([]);
  });

  it('creates every table it maps and every function is create-or-alter', () => {
    const cmds = commands(committed);
    const tables = new Set(cmds.flatMap((c) => c.match(/^\.create-merge table (\w+)/)?.[1] ?? []));
    for (const c of cmds) {
      const mapped = c.match(/^\.create-or-alter table (\w+) ingestion/)?.[1];
      if (mapped) expect(tables.has(mapped), `mapping for unknown table ${mapped}`).toBe(true);
      if (/^\.\S+ function\b/.test(c)) expect(c.startsWith('.create-or-alter function')).toBe(true);
    }
    for (const t of ['AksAudit', 'AksControlPlane', 'Detections']) expect(tables.has(t), t).toBe(true);
  });

  it('the checks catch a non-conforming script', () => {
    expect(problems(commands('.create-merge table T (a:string)\n\n.drop table T\n\n.alter cluster policy caching hot = 1d'))).toHaveLength(3);
    expect(problems(commands('.show tables'))).toHaveLength(1);
  });
});

describe('adx.bicep database scripts', () => {
  const adx = readBicep('infra/modules/adx.bicep');

  it('loads the rendered file', () => {
    expect(callStringArgs(adx.root, 'loadTextContent')).toEqual(['../kql/database.kql']);
  });

  it('re-runs the schema script when the file changes and stops on the first error', () => {
    const script = adx.resources.find((r) => r.type === 'Microsoft.Kusto/clusters/databases/scripts' && r.symbol === 'schemaScript')!;
    const body = declarationBody(script.node)!;
    expect(objectPath(body, 'properties', 'scriptContent')?.text).toBe('databaseScript');
    expect(objectPath(body, 'properties', 'forceUpdateTag')?.text).toBe('uniqueString(databaseScript)');
    expect(objectPath(body, 'properties', 'continueOnErrors')?.text).toBe('false');
  });

  it('re-runs the policy script whenever the schema script runs (which puts the pipeline tables back to 365 d)', () => {
    const script = adx.resources.find((r) => r.type === 'Microsoft.Kusto/clusters/databases/scripts' && r.symbol === 'policyScript')!;
    const tag = objectPath(declarationBody(script.node)!, 'properties', 'forceUpdateTag')?.text ?? '';
    expect(tag).toMatch(/^uniqueString\(databaseScript, /);
    expect(tag).toContain('policyCommands');
  });

  it('the pipeline tables take their retention from softDeletePeriod (a table policy overrides the database one)', () => {
    const v = adx.vars.get('retentionCommands')!.text;
    expect(v).toMatch(/^\[for table in pipelineTables: /);
    const tables = [...adx.vars.get('pipelineTables')!.text.matchAll(/'(\w+)'/g)].map((m) => m[1]);
    expect(tables).toEqual(TABLES.filter((t) => t.origin === 'pipeline').map((t) => t.name));
    const template = /: '(\.[^']*)'/.exec(v)![1]!;
    const cmds = tables.map((t) => template.replace('${table}', t!).replace('${pipelineRetentionDays}', '90'));
    expect(cmds[0]).toBe('.alter-merge table AksAudit policy retention softdelete = 90d recoverability = enabled');
    expect(problems(cmds)).toEqual([]);
    expect(adx.vars.get('pipelineRetentionDays')!.text).toBe("int(replace(replace(toUpper(softDeletePeriod), 'P', ''), 'D', ''))");
    expect(adx.vars.get('policyCommands')!.text).toMatch(/^concat\(\s*retentionCommands,\s*viewRetentionCommands,/);
  });

  it('so do their Unique views, which the functions read (a view otherwise keeps the database\'s retention)', () => {
    const v = adx.vars.get('viewRetentionCommands')!.text;
    expect(v).toMatch(/^\[for table in pipelineTables: /);
    const tables = [...adx.vars.get('pipelineTables')!.text.matchAll(/'(\w+)'/g)].map((m) => m[1]);
    expect(tables).toEqual(TABLES.filter((t) => t.uniqueBy).map((t) => t.name));
    const template = /: '(\.[^']*)'/.exec(v)![1]!;
    const cmds = tables.map((t) => template.replace('${table}', t!).replace('${pipelineRetentionDays}', '90'));
    expect(cmds[0]).toBe('.alter-merge materialized-view AksAuditUnique policy retention softdelete = 90d recoverability = enabled');
    expect(problems(cmds)).toEqual([]);
  });

  it('policy commands built in Bicep follow the same rules', () => {
    const policy = adx.vars.get('policyCommands')!;
    // Interpolated strings are not literals; read the command text around ${...}.
    const texts = [...policy.text.matchAll(/'(\.(?:[^'\\\n]|\\.)*)'/g)].map((m) => m[1]!.replace(/\\'/g, "'").replace(/\$\{[^}]+\}/g, 'db'));
    expect(texts).toEqual([
      ".alter database ['db'] policy streamingingestion enable",
      expect.stringMatching(/^\.alter-merge database \['db'\] policy managed_identity ```\[\{"ObjectId":"system","AllowedUsages":"NativeIngestion"\}\]```$/),
    ]);
    expect(problems(texts)).toEqual([]);
    for (const t of texts) expect(t, 'one line per command').not.toMatch(/\n/);
  });

  it('grants the app Ingestor, nothing more (it never queries ADX: no Viewer to read every table)', () => {
    const roles = adx.resources
      .filter((r) => r.type === 'Microsoft.Kusto/clusters/databases/principalAssignments')
      .map((r) => literalString(objectPath(declarationBody(r.node)!, 'properties', 'role')));
    expect(roles.sort()).toEqual(['Ingestor']);
  });

  it('assigns Ingestor after the scripts: one control operation on the database at a time', () => {
    const assignment = adx.resources.find((r) => r.type === 'Microsoft.Kusto/clusters/databases/principalAssignments')!;
    const after = identifiers(objectPath(declarationBody(assignment.node)!, 'dependsOn')!).map((i) => i.text);
    const scripts = adx.resources.filter((r) => r.type === 'Microsoft.Kusto/clusters/databases/scripts').map((r) => r.symbol);
    expect(scripts.length).toBe(2);
    expect(after.sort()).toEqual(scripts.sort());
  });
});
