// Run a built bench script in a child process and read the one JSON line it prints last.
import { execFileSync } from 'node:child_process';
import { built, ROOT } from './build.js';

function jsonChild<T>(script: string, args: readonly string[], nodeFlags: readonly string[], stderr: 'pipe' | 'inherit', env: Record<string, string> = {}): T {
  const out = execFileSync(process.execPath, [...nodeFlags, built(script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', stderr],
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as T;
}

/** A child probe (child.ts: import, modules, gen). */
export function probe<T>(args: readonly string[], nodeFlags: readonly string[] = []): T {
  return jsonChild<T>('scripts/bench/child.ts', args, nodeFlags, 'pipe');
}

export interface ThroughputParams {
  records: number;
  runs: number;
  seed: number;
  batch: number;
}

/** The throughput section in a child on the built JS, under `nodeFlags` (progress on our stderr). */
/** `env`: the worker's environment besides its flags (glibc malloc settings). */
export function runThroughputChild(p: ThroughputParams, nodeFlags: readonly string[], env: Record<string, string> = {}): Record<string, unknown> {
  return jsonChild('scripts/bench/throughputChild.ts', [String(p.records), String(p.runs), String(p.seed), String(p.batch)], [...nodeFlags, '--expose-gc'], 'inherit', env);
}
