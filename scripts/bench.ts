// npm run bench -- --help for the options.
//
// Honest benchmarks for the hot paths (issue 8): floor vs pipeline on generated AKS
// Event Hub bodies, the share of each stage, generator lines/s and peak RSS per log type,
// and import times of the app entry and triggers. Medians of several runs; the machine and
// its load are printed with the figures, since this box is shared. See docs/performance.md.
import { readFileSync } from 'node:fs';
import { buildApp, ROOT } from './bench/build.js';
import { intFlag, parseCommandArgs, UsageError } from './commands/args.js';
import { currentLoad, machineInfo } from './bench/machine.js';
import { median, round, type Span } from './bench/stats.js';
import { markdownReport, textReport } from './bench/report.js';
import { checkTargets, type Figures } from './bench/targets.js';
import { MALLOC_SETTINGS, mallocAssignments } from '../functions/eventhub/workerHeap.js';
import { NODE_DEFAULTS_ENV, shownRuntimeFlags } from './bench/workerStartup.js';

const USAGE = `usage: npm run bench [-- --json | --markdown] [--quick] [--records N] [--runs N] [--seed N]
                     [--only throughput,generators,imports] [--node-defaults]
       npm run bench -- --profile [--records N]
       npm run bench -- --from result.json [--markdown]

  --json           one JSON object on stdout (floor_rps, pipeline_rps, ratio, generator_lps, rss_1m_mb, import_ms, ...)
  --markdown       the README table
  --quick          smaller inputs, fewer runs (a smoke run; targets marked as such)
  --records N      AKS records for the throughput section (default 240000, quick 40000)
  --runs N         measured runs per figure, median reported (default 5, quick 3)
  --batch-bodies N bodies per trigger batch (default host.json maxEventBatchSize); e.g. 500 for batches past one chunk
  --only LIST      some sections only
  --profile        CPU profiles of the floor and pipeline passes (.kubesift/profiles/), top frames printed
  --node-defaults  plain Node, not the deployed worker's NODE_OPTIONS and MALLOC_* settings
  --from FILE      print a saved --json result again, its figures re-checked against the targets
`;

const SECTIONS = ['throughput', 'generators', 'imports'];
const parsed = parseCommandArgs('npm run bench', USAGE, process.argv.slice(2), {
  json: { type: 'boolean', default: false },
  markdown: { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  only: { type: 'string' },
  from: { type: 'string' },
  quick: { type: 'boolean', default: false },
  records: { type: 'string' },
  runs: { type: 'string' },
  seed: { type: 'string' },
  'batch-bodies': { type: 'string' },
  'node-defaults': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
}, {
  check: ({ values: o }) => {
    const only = o.only === undefined ? null : new Set(o.only.split(',').map((x) => x.trim()).filter(Boolean));
    const unknown = [...(only ?? [])].filter((x) => !SECTIONS.includes(x));
    if (unknown.length || only?.size === 0) throw new UsageError(`--only takes ${SECTIONS.join(', ')}; got '${o.only}'`);
    return {
      records: o.records === undefined ? undefined : intFlag(o.records, 'records', 1),
      runs: intFlag(o.runs, 'runs', o.quick ? 3 : 5),
      seed: intFlag(o.seed, 'seed', 42, 0),
      batchBodies: o['batch-bodies'] === undefined ? undefined : intFlag(o['batch-bodies'], 'batch-bodies', 1),
      only,
    };
  },
});
if (typeof parsed === 'number') process.exit(parsed);
const opts = parsed.values;
const flags = parsed.checked;

const quick = opts.quick === true;
const RECORDS = flags.records ?? (quick ? 40_000 : 240_000);
const RUNS = flags.runs;
const SEED = flags.seed;
const GEN_LINES = quick ? 100_000 : 300_000;
const GEN_RSS_LINES = quick ? 200_000 : 1_000_000;
/** Generator runs per type (the last one writes GEN_RSS_LINES); fixed, not --runs: each is a fresh process. */
const GEN_RUNS = quick ? 2 : 3;
const IMPORT_RUNS = quick ? 3 : 7;

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * What the deployed worker runs with, from local.settings.example.json (= Bicep's, by test):
 * the V8 flags of NODE_OPTIONS and the glibc malloc settings; the measuring child also sets
 * the flags the app entry sets on itself (bench/workerStartup.ts). Nothing under --node-defaults.
 */
function workerSettings(): { nodeFlags: string[]; env: Record<string, string>; shown: string } {
  if (opts['node-defaults']) return { nodeFlags: [], env: { [NODE_DEFAULTS_ENV]: '1' }, shown: 'Node and glibc defaults' };
  const values = (JSON.parse(readFileSync(`${ROOT}/local.settings.example.json`, 'utf8')) as { Values: Record<string, string> }).Values;
  const nodeFlags = (values.NODE_OPTIONS ?? '').split(/\s+/).filter((f) => f !== '');
  const env = Object.fromEntries(MALLOC_SETTINGS.flatMap((k) => (values[k] ? [[k, values[k]]] : [])));
  const shown = [...nodeFlags, ...shownRuntimeFlags(), ...mallocAssignments(env)];
  return { nodeFlags, env, shown: shown.join(' ') };
}

/** Event Hub trigger batch size from host.json (bodies per trigger call), unless --batch-bodies. */
function batchBodies(): number {
  if (flags.batchBodies !== undefined) return flags.batchBodies;
  try {
    const host = JSON.parse(readFileSync(`${ROOT}/host.json`, 'utf8')) as { extensions?: { eventHubs?: { maxEventBatchSize?: number } } };
    return host.extensions?.eventHubs?.maxEventBatchSize ?? 100;
  } catch {
    return 100;
  }
}

/**
 * Floor vs pipeline in a child process on the built JS (what the Functions host runs), with
 * the V8 flags the deployed worker gets (NODE_OPTIONS of local.settings.example.json, which
 * Bicep writes too) unless `--node-defaults`.
 */
async function throughputSection(): Promise<Record<string, unknown>> {
  const { runThroughputChild } = await import('./bench/spawn.js');
  const worker = workerSettings();
  log(`throughput: ${RECORDS} AKS records, ${RUNS} runs, child on built JS with ${worker.shown} ...`);
  return runThroughputChild({ records: RECORDS, runs: RUNS, seed: SEED, batch: batchBodies() }, worker.nodeFlags, worker.env);
}

async function generatorSection(): Promise<Record<string, unknown>> {
  const { measureGenerators } = await import('./bench/generators.js');
  log(`generators: ${GEN_RUNS - 1} × ${GEN_LINES} + 1 × ${GEN_RSS_LINES} lines per type (records for the Event Hub formats), each in a fresh process, seed ${SEED} ...`);
  const g = measureGenerators(GEN_RSS_LINES, GEN_LINES, GEN_RUNS, SEED, (t) => log(`  ${t}`));
  const worst = Object.values(g.rss_mb);
  return {
    generator_lps: g.lps,
    generator_lps_wall: g.lpsWall,
    generator_rss_mb: g.rss_mb,
    generator_formats: g.formats,
    generator_missing: g.missing,
    rss_lines: g.rssLines,
    rss_records: g.rssRecords,
    // Only runs that wrote 1M lines answer the 1M target; the quick bench reports its smaller run apart.
    rss_1m_mb: worst.length && Object.values(g.rssRecords).every((n) => n >= 1_000_000) ? Math.max(...worst) : null,
  };
}

async function importSection(): Promise<Record<string, unknown>> {
  const { measureImports } = await import('./bench/imports.js');
  log(`imports: ${IMPORT_RUNS} fresh processes per module ...`);
  const r = measureImports(IMPORT_RUNS);
  return { import_ms: r.entry_ms, import_triggers_ms: r.triggers_ms, import_offenders: r.offenders, import_loaded: r.loaded };
}

async function section(name: string, fn: () => Promise<Record<string, unknown>>, errors: Record<string, string>): Promise<Record<string, unknown>> {
  try {
    return await fn();
  } catch (e) {
    errors[name] = errText(e);
    log(`${name}: FAILED: ${errText(e)}`);
    return {};
  }
}

/**
 * `--profile`: the floor and pipeline passes under `node --cpu-prof` in a child (built JS),
 * .cpuprofile files under .kubesift/profiles/ (git-ignored; open them in Chrome DevTools or
 * VS Code), and the top frames of the measured passes printed.
 */
async function profileMode(): Promise<void> {
  const { profileRun } = await import('./bench/profileRun.js');
  const records = flags.records ?? (quick ? 40_000 : 120_000);
  const worker = workerSettings();
  for (const what of ['floor', 'pipeline'] as const) {
    log(`profiling ${what} on ${records} records (node --cpu-prof, ${worker.shown}) ...`);
    const r = profileRun(what, records, SEED, batchBodies(), worker.nodeFlags, worker.env);
    process.stdout.write(`\n== ${what}: ${r.marks.passes} passes, cpu ms ${r.marks.cpu_ms.join(' / ')} — ${r.file}\n${r.text}\n`);
  }
}

/** The figures the targets judge, from a result (fresh or saved); absent ones are null. */
function figuresOf(res: Record<string, unknown>): Figures {
  return {
    ratio: (res.ratio as number | undefined) ?? null,
    pipeline_audit_rps: (res.pipeline_audit_rps as number | undefined) ?? null,
    detect_overhead: (res.detect_overhead as number | undefined) ?? null,
    generator_lps: (res.generator_lps as Record<string, number> | undefined) ?? {},
    generator_missing: (res.generator_missing as string[] | undefined) ?? [],
    rss_1m_mb: (res.rss_1m_mb as number | null | undefined) ?? null,
    import_ms: (res.import_ms as number | undefined) ?? null,
    import_offenders: (res.import_offenders as { module: string }[] | undefined) ?? null,
  };
}

async function main(): Promise<void> {
  if (opts.from) {
    // Verdicts are re-checked against today's targets, not copied from the file.
    const res = JSON.parse(readFileSync(opts.from, 'utf8')) as Record<string, unknown> & { quick: boolean };
    process.stdout.write(`${(opts.markdown ? markdownReport : textReport)(res, checkTargets(figuresOf(res)), res.quick)}\n`);
    return;
  }
  const machine = machineInfo();
  const errors: Record<string, string> = {};
  log('building JS for the child-process probes ...');
  const build = buildApp();
  if (build.typeErrors) log(`  (tsc reported ${build.typeErrors} type errors elsewhere; JS emitted anyway)`);
  if (opts.profile) return profileMode();
  const res: Record<string, unknown> = { machine, quick, runs: RUNS };
  const want = (name: string): boolean => flags.only === null || flags.only.has(name);
  if (want('throughput')) Object.assign(res, await section('throughput', throughputSection, errors));
  if (want('generators')) Object.assign(res, await section('generators', generatorSection, errors));
  if (want('imports')) Object.assign(res, await section('imports', importSection, errors));
  machine.load_end = currentLoad();
  const checks = checkTargets(figuresOf(res));
  res.targets = checks;
  res.errors = errors;
  if (opts.json) process.stdout.write(`${JSON.stringify(res)}\n`);
  else process.stdout.write(`${(opts.markdown ? markdownReport : textReport)(res, checks, quick)}\n`);
}

await main();
