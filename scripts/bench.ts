// npm run bench [-- --json | --markdown] [-- --quick] [--records N] [--runs N]
// npm run bench -- --profile [--records N]   CPU profile of the pipeline (and floor) passes
// npm run bench -- --only throughput,generators,imports   some sections only
// npm run bench -- --from result.json [--markdown]          print a saved --json result again
//
// Honest benchmarks for the hot paths (issue 8): floor vs pipeline on generated AKS
// Event Hub bodies, the share of each stage, generator lines/s and peak RSS per log type,
// and import times of the app entry and triggers. Medians of several runs; the machine and
// its load are printed with the figures, since this box is shared. See docs/performance.md.
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { parseArgs } from 'node:util';
import { buildApp, ROOT } from './bench/build.js';
import { currentLoad, machineInfo } from './bench/machine.js';
import { median, round, type Span } from './bench/stats.js';
import { markdownReport, textReport } from './bench/report.js';
import { checkTargets, type Check } from './bench/targets.js';

// A full collection between measurements keeps one pass's garbage off the next one's clock.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    markdown: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    from: { type: 'string' },
    quick: { type: 'boolean', default: false },
    records: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string', default: '42' },
  },
  strict: true,
});

const quick = opts.quick === true;
const RECORDS = Number(opts.records ?? (quick ? 40_000 : 240_000));
const RUNS = Number(opts.runs ?? (quick ? 3 : 5));
const SEED = Number(opts.seed);
const GEN_LINES = quick ? 100_000 : 300_000;
const GEN_RSS_LINES = quick ? 200_000 : 1_000_000;
const IMPORT_RUNS = quick ? 3 : 7;

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Event Hub trigger batch size from host.json (bodies per processEvents call). */
function batchBodies(): number {
  try {
    const host = JSON.parse(readFileSync(`${ROOT}/host.json`, 'utf8')) as { extensions?: { eventHubs?: { maxEventBatchSize?: number } } };
    return host.extensions?.eventHubs?.maxEventBatchSize ?? 100;
  } catch {
    return 100;
  }
}

async function throughputSection(): Promise<Record<string, unknown>> {
  const { aksInput, RECORDS_PER_BODY } = await import('./bench/aksInput.js');
  const { runFloor, runPipeline, runStages, checksum } = await import('./bench/throughput.js');
  const { defaultPolicy } = await import('../functions/detect/index.js');
  const batch = batchBodies();
  log(`generating ${RECORDS} AKS records (seed ${SEED}) ...`);
  const input = await aksInput(RECORDS, SEED, batch);
  const policy = defaultPolicy('aks');
  // Warm-up: let the JIT settle on every path before the clock counts.
  runFloor(input);
  const warm = runPipeline(input, policy);
  runStages(input, policy);
  const floor: Span[] = [];
  const pipe: Span[] = [];
  const ratios: number[] = [];
  const stages: Record<string, number[]> = { envelope: [], normalize: [], detect: [], serialize: [], gzip: [] };
  for (let r = 0; r < RUNS; r++) {
    gc();
    const f = runFloor(input);
    gc();
    const p = runPipeline(input, policy).span;
    gc();
    const s = runStages(input, policy);
    floor.push(f);
    pipe.push(p);
    // Paired per run: whatever the neighbours do hits both sides of the ratio alike.
    ratios.push(p.cpu / f.cpu);
    for (const k of Object.keys(stages)) stages[k]!.push(s[k as keyof typeof s]);
    log(`  run ${r + 1}/${RUNS}: floor ${f.cpu.toFixed(0)} ms cpu (${f.wall.toFixed(0)} wall), pipeline ${p.cpu.toFixed(0)} ms cpu (${p.wall.toFixed(0)} wall), load ${currentLoad()}`);
  }
  const cpu = (xs: Span[]): number => median(xs.map((x) => x.cpu));
  const wall = (xs: Span[]): number => median(xs.map((x) => x.wall));
  const st = Object.fromEntries(Object.entries(stages).map(([k, xs]) => [k, median(xs)])) as Record<string, number>;
  const piped = st.envelope! + st.normalize! + st.detect! + st.serialize!;
  const share = (k: string): number => round(st[k]! / piped, 3);
  const n = input.records;
  return {
    input: {
      generator: `aks-audit + aks-apiserver records (jsonl), ${RECORDS_PER_BODY}/body, slices with every scenario`,
      records: n,
      bodies: input.bodies.length,
      records_per_body: round(input.recordsPerBody, 1),
      audit_share: round(input.auditRecords / n, 3),
      attack_share: round(input.attackShare, 4),
      mb: round(input.bytes / 2 ** 20, 1),
      batch_bodies: batch,
      seed: SEED,
    },
    // Records per CPU-second: per-core throughput, robust to neighbours' load (see stats.ts).
    floor_rps: Math.round(n / (cpu(floor) / 1000)),
    pipeline_rps: Math.round(n / (cpu(pipe) / 1000)),
    ratio: round(median(ratios), 2),
    pipeline_audit_rps: Math.round(input.auditRecords / (cpu(pipe) / 1000)),
    wall: { floor_rps: Math.round(n / (wall(floor) / 1000)), pipeline_rps: Math.round(n / (wall(pipe) / 1000)), ratio: round(wall(pipe) / wall(floor), 2) },
    stage_ms: Object.fromEntries(Object.entries(st).map(([k, v]) => [k, round(v, 1)])),
    stage_share: { envelope: share('envelope'), normalize: share('normalize'), detect: share('detect'), serialize: share('serialize') },
    detect_overhead: round(st.detect! / (st.envelope! + st.normalize!), 3),
    gzip_extra_share: round(st.gzip! / piped, 3),
    serializer: 'functions/land/payload.ts tablePayloads (per-table dedupe + NDJSON); gzip timed separately, outside the ratio',
    outcome: { detections: warm.detections, dead_letters: warm.deadLetters, records_counted: warm.records },
    checksum: checksum() % 1000,
  };
}

async function generatorSection(): Promise<Record<string, unknown>> {
  const { measureGenerators } = await import('./bench/generators.js');
  log(`generators: ${RUNS > 1 ? 2 : 1} × ${GEN_LINES} + 1 × ${GEN_RSS_LINES} lines per type, each in a fresh process ...`);
  const g = measureGenerators(GEN_RSS_LINES, GEN_LINES, quick ? 2 : 3, (t) => log(`  ${t}`));
  const worst = Object.values(g.rss_mb);
  return {
    generator_lps: g.lps,
    generator_lps_wall: g.lpsWall,
    generator_rss_mb: g.rss_mb,
    generator_formats: g.formats,
    generator_missing: g.missing,
    rss_lines: g.rssLines,
    // Only a 1M-line run answers the 1M target; the quick bench reports its smaller run apart.
    rss_1m_mb: g.rssLines === 1_000_000 && worst.length ? Math.max(...worst) : null,
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
  const records = Number(opts.records ?? (quick ? 40_000 : 120_000));
  for (const what of ['floor', 'pipeline'] as const) {
    log(`profiling ${what} on ${records} records (node --cpu-prof) ...`);
    const r = profileRun(what, records, SEED, batchBodies());
    process.stdout.write(`\n== ${what}: ${r.marks.passes} passes, cpu ms ${r.marks.cpu_ms.join(' / ')} — ${r.file}\n${r.text}\n`);
  }
}

async function main(): Promise<void> {
  if (opts.from) {
    const res = JSON.parse(readFileSync(opts.from, 'utf8')) as Record<string, unknown> & { targets: Check[]; quick: boolean };
    process.stdout.write(`${(opts.markdown ? markdownReport : textReport)(res, res.targets, res.quick)}\n`);
    return;
  }
  const machine = machineInfo();
  const errors: Record<string, string> = {};
  log('building JS for the child-process probes ...');
  const build = buildApp();
  if (build.typeErrors) log(`  (tsc reported ${build.typeErrors} type errors elsewhere; JS emitted anyway)`);
  if (opts.profile) return profileMode();
  const res: Record<string, unknown> = { machine, quick, runs: RUNS };
  const only = opts.only ? new Set(opts.only.split(',')) : null;
  const want = (name: string): boolean => only === null || only.has(name);
  if (want('throughput')) Object.assign(res, await section('throughput', throughputSection, errors));
  if (want('generators')) Object.assign(res, await section('generators', generatorSection, errors));
  if (want('imports')) Object.assign(res, await section('imports', importSection, errors));
  machine.load_end = currentLoad();
  const checks = checkTargets({
    ratio: (res.ratio as number | undefined) ?? null,
    pipeline_audit_rps: (res.pipeline_audit_rps as number | undefined) ?? null,
    detect_overhead: (res.detect_overhead as number | undefined) ?? null,
    generator_lps: (res.generator_lps as Record<string, number> | undefined) ?? {},
    generator_missing: (res.generator_missing as string[] | undefined) ?? [],
    rss_1m_mb: (res.rss_1m_mb as number | null | undefined) ?? null,
    import_ms: (res.import_ms as number | undefined) ?? null,
    import_offenders: (res.import_offenders as { module: string }[] | undefined) ?? null,
  });
  res.targets = checks;
  res.errors = errors;
  if (opts.json) process.stdout.write(`${JSON.stringify(res)}\n`);
  else process.stdout.write(`${(opts.markdown ? markdownReport : textReport)(res, checks, quick)}\n`);
}

await main();
