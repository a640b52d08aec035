// The young-generation size the worker's V8 was started with, read from the flags Node got
// (NODE_OPTIONS, then the command line, which wins). The Function App sets
// NODE_OPTIONS=--max-semi-space-size=64 (infra/modules/functionapp.bicep) because a trigger
// batch's rows otherwise get copied by repeated scavenges; whether an app setting reaches
// the worker process is the host's business, so the first batch of each worker says what it
// got, and an operator can check it in the logs instead of guessing from CPU time.

import { runtimeV8FlagsLine } from './runtimeV8Flags.js';

/** The semi-space the Function App asks for, in MB. */
export const WANTED_SEMI_SPACE_MB = 64;

/** `--max-semi-space-size` in either spelling V8 accepts, with `=value` or a separate value. */
const FLAG = /^--max[-_]semi[-_]space[-_]size(?:=(.*))?$/;

/** Last valid `--max-semi-space-size` value (MB) among `args`, or null. */
function semiSpaceOf(args: readonly string[]): number | null {
  let mb: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const m = FLAG.exec(args[i]!);
    if (!m) continue;
    const raw = m[1] ?? args[++i] ?? '';
    const n = Number(raw);
    if (raw !== '' && Number.isInteger(n) && n > 0) mb = n;
  }
  return mb;
}

export interface WorkerHeap {
  /** Max semi-space in MB when a flag set it, else null (V8's default). */
  semiSpaceMb: number | null;
  /** Where it came from. */
  source: 'NODE_OPTIONS' | 'command line' | null;
}

export function workerHeap(execArgv: readonly string[], nodeOptions: string | undefined): WorkerHeap {
  const cli = semiSpaceOf(execArgv);
  if (cli !== null) return { semiSpaceMb: cli, source: 'command line' };
  const env = semiSpaceOf((nodeOptions ?? '').split(/\s+/).filter((s) => s !== ''));
  return env !== null ? { semiSpaceMb: env, source: 'NODE_OPTIONS' } : { semiSpaceMb: null, source: null };
}

/** One log line about it (no other flag or environment value is echoed). */
export function workerHeapLine(h: WorkerHeap): string {
  if (h.semiSpaceMb === null)
    return `worker heap: V8 default young generation (no --max-semi-space-size reached this process; the app sets NODE_OPTIONS=--max-semi-space-size=${WANTED_SEMI_SPACE_MB}, which cuts CPU per record by about a quarter: docs/deploy.md)`;
  return `worker heap: --max-semi-space-size=${h.semiSpaceMb} from ${h.source}`;
}

/** The glibc malloc settings the app sets for the worker; only these two are echoed. */
export const MALLOC_SETTINGS = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'] as const;

/** Those of MALLOC_SETTINGS `env` sets to a number, as `NAME=value` (the worker log, the bench report). */
export function mallocAssignments(env: Record<string, string | undefined>): string[] {
  return MALLOC_SETTINGS.filter((k) => env[k] !== undefined && /^\d+$/.test(env[k]!)).map((k) => `${k}=${env[k]}`);
}

/** One log line about them: the values that reached the process, or that none did. */
export function mallocLine(env: Record<string, string | undefined>): string {
  const set = mallocAssignments(env);
  if (set.length === 0) return 'worker malloc: glibc defaults (the app sets MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ so landing Buffers reuse heap pages: docs/performance.md)';
  return `worker malloc: ${set.join(', ')}`;
}

let logged = false;

/** workerHeapLine for this process, logged on the first call per worker only. */
export function logWorkerHeapOnce(log: (line: string) => void): void {
  if (logged) return;
  logged = true;
  log(workerHeapLine(workerHeap(process.execArgv, process.env.NODE_OPTIONS)));
  log(mallocLine(process.env));
  log(runtimeV8FlagsLine());
}
