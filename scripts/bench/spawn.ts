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
