// Run profile.js under `node --cpu-prof` and summarize the measured window of its profile.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { built, ROOT } from './build.js';
import type { ProfileMarks } from './profile.js';
import { formatFrames, topFrames, type CpuProfile, type TopFrames } from './topFrames.js';

/** Git-ignored (.kubesift/ is in .gitignore). */
export const PROFILE_DIR = join(ROOT, '.kubesift', 'profiles');

export interface ProfileResult {
  file: string;
  marks: ProfileMarks;
  top: TopFrames;
  text: string;
}

/**
 * `nodeFlags`: V8 flags of the profiled process (the bench passes the deployed worker's);
 * `env`: the worker's environment besides its flags (glibc malloc settings).
 */
export function profileRun(what: 'pipeline' | 'floor', records: number, seed: number, batch: number, nodeFlags: readonly string[] = [], env: Record<string, string> = {}, n = 20): ProfileResult {
  mkdirSync(PROFILE_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const name = `${stamp}-${what}.cpuprofile`;
  const marksFile = join(PROFILE_DIR, `${stamp}-${what}.marks.json`);
  execFileSync(
    process.execPath,
    [...nodeFlags, '--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', name, '--cpu-prof-interval', '250', built('scripts/bench/profile.ts'), String(records), String(seed), String(batch), what, marksFile],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } },
  );
  const file = join(PROFILE_DIR, name);
  const marks = JSON.parse(readFileSync(marksFile, 'utf8')) as ProfileMarks;
  const top = topFrames(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, n, marks);
  const text = formatFrames(top);
  writeFileSync(file.replace(/\.cpuprofile$/, '.top.txt'), `${text}\n`);
  return { file: file.slice(ROOT.length + 1), marks, top, text };
}
