// Runs one hostile input through one parser per request and answers with the times (ms,
// best of a few) of the parser and of a plain scan of the same string. A worker so that the
// test can stop a parser that never returns (catastrophic backtracking) instead of hanging.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { INPUTS, PARSERS, scan } = await tsImport('./perfRegexCases.ts', import.meta.url);

function best(fn, times) {
  let min = Infinity;
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const inputs = new Map();
let sink = 0;
parentPort.on('message', ({ parser, input }) => {
  let s = inputs.get(input);
  if (s === undefined) inputs.set(input, (s = INPUTS[input]()));
  const parse = PARSERS[parser];
  // Warm both up on a small slice so the JIT has compiled them before the clock runs.
  for (let i = 0; i < 20; i++) {
    sink += scan(s.slice(0, 4096));
    parse(s.slice(0, 4096));
  }
  const scanMs = best(() => (sink += scan(s)), 5);
  const parseMs = best(() => parse(s), 3);
  parentPort.postMessage({ parser, input, length: s.length, scanMs, parseMs, sink: sink & 1 });
});
parentPort.postMessage({ ready: true, parsers: Object.keys(PARSERS), inputs: Object.keys(INPUTS) });
