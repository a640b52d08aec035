import { readFileSync } from 'node:fs';
// Every command `npm run kql` renders and every shipped query, checked by Microsoft's Kusto
// language service against the schema built from TABLES: zero diagnostics. A negative control
// proves the checker can fail.
import { beforeAll, describe, expect, it } from 'vitest';
import { databaseCommands, renderDatabaseScript, storedFunctions, uniqueViewTables, type RenderOptions } from '../functions/kusto/render.js';
import { TABLES } from '../functions/kusto/tables.js';
import { RAW_COLUMNS, RAW_TABLE, UPDATE_POLICIES } from '../functions/kusto/rawLanding.js';
import { sinkCommandSamples } from '../functions/land/commands.js';
import { checkKql, globalsFor, loadKusto, resultColumns, type KqlDiagnostic } from '../scripts/kqlCheck.js';

const FULL: RenderOptions = { rawLanding: true, streaming: true };
let globals: unknown;

beforeAll(() => {
  loadKusto();
  globals = globalsFor({
    database: 'kubesift',
    tables: [...TABLES, ...uniqueViewTables(), { name: RAW_TABLE, columns: RAW_COLUMNS }],
    functions: storedFunctions(FULL).map((f) => ({ name: f.name, parameters: f.parameters, body: `{\n${f.body}\n}` })),
  });
});

const show = (d: KqlDiagnostic[]): string[] => d.map((x) => `${x.severity}: ${x.message} near «${x.excerpt}»`);

describe('rendered database commands', () => {
  const commands = databaseCommands(FULL);

  it('covers every table, mapping, policy kind and stored function', () => {
    for (const t of TABLES) {
      expect(commands.some((c) => c.kind === 'table' && c.command.startsWith(`.create-merge table ${t.name} (`))).toBe(true);
      expect(commands.some((c) => c.kind === 'mapping' && c.name === t.mappingName)).toBe(true);
      if (t.csvMappingName) expect(commands.some((c) => c.kind === 'mapping' && c.name === t.csvMappingName)).toBe(true);
    }
    for (const p of UPDATE_POLICIES) expect(commands.some((c) => c.kind === 'policy' && c.command.startsWith(`.alter table ${p.table} policy update`))).toBe(true);
    expect(commands.filter((c) => c.kind === 'function').map((c) => c.name)).toEqual(storedFunctions(FULL).map((f) => f.name));
  });

  it.each(commands.map((c, i) => [`${i} ${c.kind} ${c.name}`, c.command] as const))('%s has no diagnostics', (_label, command) => {
    expect(show(checkKql(command, globals))).toEqual([]);
  });

  it.each(UPDATE_POLICIES.map((p) => [p.table, p.query] as const))('update-policy query for %s is valid KQL with exactly the target schema', (table, query) => {
    const cmd = commands.find((c) => c.command.startsWith(`.alter table ${table} policy update`))!;
    const policy = JSON.parse(cmd.command.slice(cmd.command.indexOf("'") + 1, -1)) as { Query: string; Source: string }[];
    expect(policy[0]!.Query).toBe(query);
    expect(policy[0]!.Source).toBe(RAW_TABLE);
    expect(show(checkKql(query, globals))).toEqual([]);
    const target = TABLES.find((t) => t.name === table)!;
    expect(resultColumns(query, globals)).toEqual(target.columns.map((c) => ({ name: c.name, type: c.type })));
  });

  it('FailedLoginsByHost names the address that tried most per host (per-host totals alone grow with benign typos)', () => {
    const fn = storedFunctions(FULL).find((f) => f.name === 'FailedLoginsByHost')!;
    // The body with its parameter bound, as a query.
    const query = `let lookback = 1d;\n${fn.body}`;
    expect(show(checkKql(query, globals))).toEqual([]);
    expect(resultColumns(query, globals)?.map((c) => c.name)).toEqual(['Host', 'Source', 'Failures', 'Accounts', 'SourceIps', 'FirstSeen', 'LastSeen', 'TopSourceIp', 'TopSourceFailures']);
  });

  it('every json/csv mapping maps each table column exactly once, in order', () => {
    for (const c of commands.filter((x) => x.kind === 'mapping')) {
      const m = /^\.create-or-alter table (\w+) ingestion (json|csv) mapping '(\w+)' '(.*)'$/.exec(c.command);
      expect(m, c.command.slice(0, 80)).not.toBeNull();
      const [, table, kind, , json] = m!;
      const cols = table === RAW_TABLE ? RAW_COLUMNS : TABLES.find((t) => t.name === table)!.columns;
      // The mapping is a KQL single-quoted literal: undo its \' and \\ escapes before reading the JSON.
      const mapping = JSON.parse(json!.replace(/\\(['\\])/g, '$1')) as { column: string; Properties: { Path?: string; Ordinal?: string } }[];
      expect(mapping.map((x) => x.column)).toEqual(cols.map((x) => x.name));
      if (kind === 'csv') expect(mapping.map((x) => x.Properties.Ordinal)).toEqual(cols.map((_, i) => String(i)));
      // By name, except AksAudit columns copied from the audit Event, read inside the landed Event (land/ndjson.ts).
      else if (table !== RAW_TABLE) expect(mapping.map((x) => x.Properties.Path)).toEqual(cols.map((x) => x.path ?? `$.${x.name}`));
    }
  });

  it('script is deterministic and no command contains a blank line (database-script format)', () => {
    expect(renderDatabaseScript(FULL)).toBe(renderDatabaseScript(FULL));
    for (const c of commands) expect(c.command).not.toMatch(/\n\s*\n/);
    expect(renderDatabaseScript(FULL).split('\n\n')).toHaveLength(commands.length);
    // The totals docs/adx.md gives ("all N commands … (the default script has M)").
    const [, all, plain] = /all (\d+) commands rendered with raw landing and streaming switched on \(the default\s+script has (\d+)\)/.exec(readFileSync(new URL('../docs/adx.md', import.meta.url), 'utf8'))!;
    expect([commands.length, databaseCommands().length]).toEqual([Number(all), Number(plain)]);
    // Default script (what infra embeds) leaves the raw-landing pattern and streaming out.
    expect(renderDatabaseScript()).not.toContain(RAW_TABLE);
    expect(renderDatabaseScript()).not.toContain('streamingingestion');
  });
});

describe('commands the sinks send', () => {
  it.each(sinkCommandSamples().map((s) => [s.label, s.command] as const))('%s has no diagnostics', (_label, command) => {
    expect(show(checkKql(command, globals))).toEqual([]);
  });
});

describe('negative control', () => {
  it('reports unknown columns, tables and bad types', () => {
    expect(checkKql('AksAudit | where NoSuchColumn == 1', globals).length).toBeGreaterThan(0);
    expect(checkKql('NoSuchTable | take 1', globals).length).toBeGreaterThan(0);
    expect(checkKql('.create-merge table T (A:strng)', globals).length).toBeGreaterThan(0);
    expect(checkKql(`.create-or-alter function F() { Detections | where Priorty == 'x' }`, globals).length).toBeGreaterThan(0);
  });
});
