// Run a child probe (built child.js) and read its one JSON line.
import { execFileSync } from 'node:child_process';
import { built, ROOT } from './build.js';

export function probe<T>(args: readonly string[], nodeFlags: readonly string[] = []): T {
  const out = execFileSync(process.execPath, [...nodeFlags, built('scripts/bench/child.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}

export interface ThroughputParams {
  records: number;
  runs: number;
  seed: number;
  batch: number;
}

/** The throughput section in a child on the built JS, under `nodeFlags` (progress on our stderr). */
export function runThroughputChild(p: ThroughputParams, nodeFlags: readonly string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [...nodeFlags, '--expose-gc', built('scripts/bench/throughputChild.ts'), String(p.records), String(p.runs), String(p.seed), String(p.batch)], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, unknown>;
}
