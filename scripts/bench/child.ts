// Child-process probes, run on the built JS (see build.ts) so each measurement starts from
// a fresh process: import time (cold-start proxy), the modules an import drags in, and
// generator throughput with its peak RSS. Prints one JSON line on stdout.
//
//   node child.js import  <file.js|package>   → {ms}
//   node child.js modules <file.js>           → {urls}
//   node child.js gen     <logType> <count> <seed> → {records, bytes, ms, cpu_ms, rss_mb}
import { register } from 'node:module';
import { isAbsolute } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { peakRssMb } from './machine.js';

const specifier = (s: string): string => (isAbsolute(s) ? pathToFileURL(s).href : s);

async function importTime(target: string): Promise<object> {
  const t0 = performance.now();
  await import(specifier(target));
  return { ms: performance.now() - t0 };
}

// A loader hook on the hooks thread posts every URL it loads; the import itself is timed
// elsewhere (hooks slow loading down).
const HOOKS = `let port;
export async function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;

async function moduleList(target: string): Promise<object> {
  const { port1, port2 } = new MessageChannel();
  const urls: string[] = [];
  port1.on('message', (u: string) => urls.push(u));
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { port: port2 }, transferList: [port2] });
  await import(specifier(target));
  // Messages from the hooks thread arrive asynchronously.
  await new Promise((r) => setTimeout(r, 200));
  port1.close();
  return { urls };
}

async function generate(logType: string, count: number, seed: number): Promise<object> {
  const gen = await import('../../functions/generate/index.js');
  const req = gen.resolveRequest(gen.DatasetRequest.parse({ logType, count, seed, scenarios: ['all'] }));
  let bytes = 0;
  // Discard the output: the generator is measured, not the disk.
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const summary = await gen.writeDataset(req, sink);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { records: summary.records, events: summary.events, bytes, ms, cpu_ms: (c.user + c.system) / 1000, format: req.format, rss_mb: peakRssMb() };
}

async function main(argv: string[]): Promise<void> {
  const [mode, a, b, c] = argv;
  let out: object;
  if (mode === 'import' && a) out = await importTime(a);
  else if (mode === 'modules' && a) out = await moduleList(a);
  else if (mode === 'gen' && a && b) out = await generate(a, Number(b), Number(c ?? 1));
  else throw new Error(`usage: child.js import|modules|gen ... (got ${argv.join(' ')})`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main(process.argv.slice(2));
// Registered hooks, event hub clients or timers in imported modules must not keep us alive.
process.exit(0);
