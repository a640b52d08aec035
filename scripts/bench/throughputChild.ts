// The floor-vs-pipeline section of the bench, run as its own process on the built JS (see
// build.ts) so it measures what the Functions host runs, under the V8 flags the deployed
// worker gets (the parent passes them; spawn.ts runThroughputChild). Prints one JSON line.
//
//   node [flags] --expose-gc throughputChild.js <records> <runs> <seed> <batchBodies>
import { runInNewContext } from 'node:vm';
import { defaultPolicy } from '../../functions/detect/index.js';
import { mallocAssignments } from '../../functions/eventhub/workerHeap.js';
import { aksInput, leadingBatches, RECORDS_PER_BODY } from './aksInput.js';
import { currentLoad, peakRssMb } from './machine.js';
import { throughputFigures, workerFigures, type StageMs } from './figures.js';
import { round, type Span } from './stats.js';
import { checksum, runFloor, runPipeline, runStages } from './throughput.js';
import { PARTITIONS, runWorker, type WorkerSpan } from './worker.js';
import { startLikeWorker } from './workerStartup.js';

/** A full collection between measurements keeps one pass's garbage off the next one's clock. */
const gc = runInNewContext('gc') as () => void;
const log = (s: string): void => void process.stderr.write(`${s}\n`);

export async function throughputResult(RECORDS: number, RUNS: number, SEED: number, batch: number): Promise<Record<string, unknown>> {
  log(`generating ${RECORDS} AKS records (seed ${SEED}) ...`);
  const input = await aksInput(RECORDS, SEED, batch);
  const policy = defaultPolicy('aks');
  // Warm-up: let the JIT settle on every path before the clock counts.
  runFloor(input);
  const warm = runPipeline(input, policy);
  runStages(input, policy);
  // A forced full GC throws away the optimized code whose embedded objects died with the
  // previous pass (--trace-deopt: "marking dependent code ... reason: weak objects"): 100+
  // functions of the pipeline, a handful of the floor's. A busy worker's code never sits idle
  // through such a collection, so after each one a quarter of the input, untimed, lets the
  // JIT optimize them again before the clock starts (docs/performance.md, ninth round).
  const rewarm = leadingBatches(input, Math.ceil(input.batches.length / 4));
  const floor: Span[] = [];
  const pipe: Span[] = [];
  const stages: StageMs[] = [];
  const worker: WorkerSpan[] = [];
  // The worker pass needs a thread CPU clock (Linux); elsewhere it is left out.
  const workerRuns = (await runWorker(input, policy)) !== null;
  for (let r = 0; r < RUNS; r++) {
    // Whole passes, each after a full GC. Interleaving the two batch by batch (tried in the
    // fifth round) pairs them tighter in time, but process CPU counts every thread: the GC
    // helper threads working off the pipeline's garbage then run during floor slots and are
    // charged to the floor (docs/performance.md, fifth round).
    gc();
    runFloor(rewarm);
    const f = runFloor(input);
    gc();
    runPipeline(rewarm, policy);
    const p = runPipeline(input, policy).span;
    gc();
    runStages(rewarm, policy);
    stages.push(runStages(input, policy));
    if (workerRuns) {
      gc();
      await runWorker(rewarm, policy);
      worker.push((await runWorker(input, policy))!);
    }
    floor.push(f);
    pipe.push(p);
    log(`  run ${r + 1}/${RUNS}: floor ${f.cpu.toFixed(0)} ms cpu (${f.wall.toFixed(0)} wall), pipeline ${p.cpu.toFixed(0)} ms cpu (${p.wall.toFixed(0)} wall), ratio ${(p.cpu / f.cpu).toFixed(2)}, load ${currentLoad()}`);
  }
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
    ...throughputFigures(n, input.auditRecords, floor, pipe, stages),
    ...(workerRuns ? { ...workerFigures(n, worker), worker_partitions: PARTITIONS, worker_records: worker[0]!.records } : {}),
    serializer: 'functions/land/payload.ts tablePayloads (per-table dedupe + NDJSON); gzip timed separately, outside the ratio',
    outcome: { detections: warm.detections, dead_letters: warm.deadLetters, records_counted: warm.records },
    checksum: checksum() % 1000,
  };
}

const [records, runs, seed, batch] = process.argv.slice(2).map(Number);
if (!records || !runs || seed === undefined || Number.isNaN(seed) || !batch) throw new Error(`usage: throughputChild.js <records> <runs> <seed> <batchBodies> (got ${process.argv.slice(2).join(' ')})`);
const runtimeFlagsShown = startLikeWorker();
const result = await throughputResult(records, runs, seed, batch);
process.stdout.write(`${JSON.stringify({ ...result, throughput_rss_mb: round(peakRssMb(), 1), node_flags: [...process.execArgv.filter((f) => f !== '--expose-gc'), process.env.NODE_OPTIONS ?? '', ...runtimeFlagsShown, ...mallocAssignments(process.env)].filter((s) => s !== '').join(' ') })}\n`);
