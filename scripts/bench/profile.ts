// Profiling harness: builds the bench input, then CPU-profiles only the measured passes
// (inspector Profiler around them), so generator work never shows up in the profile.
// Run on the built JS for true line numbers (npm run bench builds it first):
//   node node_modules/.cache/kubesift-bench/dist/scripts/bench/profile.js [records] [pipeline|floor|stages] [out.cpuprofile]
//   npx tsx scripts/bench/topFrames.ts out.cpuprofile
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { defaultPolicy } from '../../functions/detect/index.js';
import { aksInput } from './aksInput.js';
import { runFloor, runPipeline, runStages } from './throughput.js';

const records = Number(process.argv[2] ?? 100_000);
const what = process.argv[3] ?? 'pipeline';
const out = process.argv[4] ?? `/tmp/kubesift-${what}.cpuprofile`;
const input = await aksInput(records, 42, 100);
const policy = defaultPolicy('aks');
const once = (): string => {
  if (what === 'floor') return `floor ${runFloor(input).cpu.toFixed(0)} ms cpu`;
  if (what === 'stages') return JSON.stringify(runStages(input, policy));
  return `pipeline ${runPipeline(input, policy).span.cpu.toFixed(0)} ms cpu`;
};
process.stderr.write(`warm-up: ${once()}\n`);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
for (let i = 0; i < 3; i++) process.stderr.write(`${once()}\n`);
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
process.stderr.write(`profile: ${out}\n`);
