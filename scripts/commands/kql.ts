// sift kql (npm run kql): print, write, check or apply the ADX database script rendered from
// the table registry. --apply runs one command at a time against KUBESIFT_KUSTO_CLUSTER_URL.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client as KustoClient } from 'azure-kusto-data';
import { loadConfig } from '../../functions/config.js';
import { kcsbFor } from '../../functions/land/clients.js';
import { databaseCommands, INGEST_TAG_DAYS, renderDatabaseScript, storedFunctions, uniqueViewTables, type RenderOptions } from '../../functions/kusto/render.js';
import { TABLES } from '../../functions/kusto/tables.js';
import { RAW_COLUMNS, RAW_TABLE } from '../../functions/kusto/rawLanding.js';
import { intFlag, parseCommandArgs, UsageError } from './args.js';
import { commandPolicy, POLICY_OPTIONS, POLICY_USAGE } from './policyArgs.js';
import { windowFunctions } from '../../functions/kusto/windowFunctions.js';

const HELP = `usage: npm run kql -- [--out FILE] [--apply [--create-database]] [--check] [--list] [--raw-landing]
                      [--streaming] [--no-unique-views] [--ingest-tag-days N] [--policy FILE] [--profile aks|falco]

Renders every table, ingestion mapping, policy and stored function KubeSift uses.
  (no option)     print the script (commands separated by blank lines)
  --out FILE      write it to FILE (infra embeds infra/kql/database.kql)
  --apply         run it command by command against KUBESIFT_KUSTO_CLUSTER_URL /
                  KUBESIFT_KUSTO_DATABASE with KUBESIFT_KUSTO_AUTH (Kustainer: none)
  --create-database  only with --apply: first run \`.create database <db> volatile
                  ifnotexists\` (Kustainer, which starts with no database)
  --check         check every command with the Kusto language service (dev dependency)
  --list          list the commands' kind and object name
  --raw-landing   add the raw table + update policies for ADX's native Event Hub connection
  --streaming     enable the streaming ingestion policy on the pipeline tables
  --no-unique-views  leave out the deduplicating materialized views (<Table>Unique); the
                  Kusto emulator has no materialized views, so --create-database implies it
  --ingest-tag-days N  days the pipeline tables keep each landing's ingest-by: tag (default
                  ${INGEST_TAG_DAYS}: replay a batch set aside within them to land it exactly once);
                  0 sets no extent tags retention policy (tags are kept for good)
The Window_<id>() functions are the windowed detectors of the detection policy:
${POLICY_USAGE}
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs('sift kql', HELP, argv, {
    out: { type: 'string' },
    apply: { type: 'boolean' },
    'create-database': { type: 'boolean' },
    check: { type: 'boolean' },
    list: { type: 'boolean' },
    'raw-landing': { type: 'boolean' },
    streaming: { type: 'boolean' },
    'no-unique-views': { type: 'boolean' },
    'ingest-tag-days': { type: 'string' },
    ...POLICY_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  }, {
    check: ({ values: v }) => {
      // It acts only with --apply; alone it silently printed the script without the views.
      if (v['create-database'] && !v.apply) throw new UsageError('--create-database needs --apply');
      return { ingestTagDays: intFlag(v['ingest-tag-days'], 'ingest-tag-days', INGEST_TAG_DAYS, 0, 36_500), policy: commandPolicy(v) };
    },
  });
  if (typeof args === 'number') return args;
  const { values } = args;
  const opts: RenderOptions = {
    rawLanding: values['raw-landing'] ?? false,
    streaming: values.streaming ?? false,
    noUniqueViews: (values['no-unique-views'] ?? false) || (values['create-database'] ?? false),
    ingestTagDays: args.checked.ingestTagDays,
    windowDetectors: windowFunctions(args.checked.policy),
  };
  const commands = databaseCommands(opts);

  if (values.list) {
    for (const c of commands) process.stdout.write(`${c.kind.padEnd(8)} ${c.name}\n`);
    return 0;
  }
  if (values.check) return check(opts);
  if (values.apply) return apply(commands.map((c) => c.command), values['create-database'] ?? false);
  const script = renderDatabaseScript(opts);
  if (values.out) {
    mkdirSync(path.dirname(values.out), { recursive: true });
    writeFileSync(values.out, script);
    process.stderr.write(`wrote ${commands.length} commands to ${values.out}\n`);
  } else process.stdout.write(script);
  return 0;
}

async function check(opts: RenderOptions): Promise<number> {
  const commands = databaseCommands(opts);
  // Loading the language service takes seconds: say what is happening before the wait.
  process.stderr.write(`checking ${commands.length} commands with the Kusto language service…\n`);
  const { checkKql, globalsFor } = await import('../kqlCheck.js');
  const globals = globalsFor({
    database: 'kubesift',
    tables: [...TABLES, ...uniqueViewTables(), { name: RAW_TABLE, columns: RAW_COLUMNS }],
    functions: storedFunctions({ ...opts, rawLanding: true }).map((f) => ({ name: f.name, parameters: f.parameters, body: `{\n${f.body}\n}` })),
  });
  let bad = 0;
  for (const c of commands) {
    const diags = checkKql(c.command, globals);
    if (diags.length === 0) continue;
    bad++;
    for (const d of diags) process.stderr.write(`${c.kind} ${c.name}: ${d.severity}: ${d.message} near «${d.excerpt}»\n`);
  }
  process.stderr.write(`${commands.length - bad} of ${commands.length} commands clean\n`);
  return bad === 0 ? 0 : 1;
}

export function createDatabaseCommand(database: string): string {
  return `.create database ${database} volatile ifnotexists`;
}

async function apply(script: string[], createDatabase: boolean): Promise<number> {
  const config = loadConfig();
  const url = config.KUBESIFT_KUSTO_CLUSTER_URL;
  if (!url) {
    process.stderr.write('KUBESIFT_KUSTO_CLUSTER_URL is required for --apply (Kustainer: http://localhost:8080 with KUBESIFT_KUSTO_AUTH=none)\n');
    return 2;
  }
  const client = new KustoClient(kcsbFor(url, config));
  const commands = createDatabase ? [createDatabaseCommand(config.KUBESIFT_KUSTO_DATABASE), ...script] : script;
  try {
    for (let i = 0; i < commands.length; i++) {
      const cmd = commands[i]!;
      try {
        await client.executeMgmt(createDatabase && i === 0 ? 'NetDefaultDB' : config.KUBESIFT_KUSTO_DATABASE, cmd);
        process.stderr.write(`[${i + 1}/${commands.length}] ok   ${cmd.split('\n')[0]!.slice(0, 100)}\n`);
      } catch (err) {
        process.stderr.write(`[${i + 1}/${commands.length}] FAIL ${cmd.split('\n')[0]!.slice(0, 100)}\n  ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
      }
    }
    return 0;
  } finally {
    client.close();
  }
}
