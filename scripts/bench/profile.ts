// The process `npm run bench -- --profile` runs under `node --cpu-prof` (on the built JS, so
// frames carry real file:line). It builds the bench input, warms up, then runs the measured
// passes between two marks on the profiler's clock (monotonic µs, the clock of the
// .cpuprofile samples): the report counts only samples between the marks, so generating
// the input never shows up in the top frames.
//
//   node --cpu-prof --cpu-prof-dir D --cpu-prof-name F profile.js <records> <seed> <batch> <pipeline|floor> <marks.json>
import { writeFileSync } from 'node:fs';
import { defaultPolicy } from '../../functions/detect/index.js';
import { aksInput } from './aksInput.js';
import { runFloor, runPipeline } from './throughput.js';
import { startLikeWorker } from './workerStartup.js';

export interface ProfileMarks {
  /** Monotonic µs at the start and end of the measured passes. */
  from: number;
  to: number;
  passes: number;
  /** CPU ms of each measured pass. */
  cpu_ms: number[];
}

const micros = (): number => Number(process.hrtime.bigint() / 1000n);

async function main(argv: string[]): Promise<void> {
  const [recordsArg, seedArg, batchArg, what, marksFile] = argv;
  if (!marksFile || (what !== 'pipeline' && what !== 'floor')) throw new Error('usage: profile.js <records> <seed> <batch> <pipeline|floor> <marks.json>');
  startLikeWorker();
  const input = await aksInput(Number(recordsArg), Number(seedArg), Number(batchArg));
  const policy = defaultPolicy('aks');
  const once = (): number => (what === 'floor' ? runFloor(input).cpu : runPipeline(input, policy).span.cpu);
  once();
  const passes = 3;
  const cpu_ms: number[] = [];
  const from = micros();
  for (let i = 0; i < passes; i++) cpu_ms.push(Math.round(once()));
  const to = micros();
  const marks: ProfileMarks = { from, to, passes, cpu_ms };
  writeFileSync(marksFile, JSON.stringify(marks));
}

await main(process.argv.slice(2));
