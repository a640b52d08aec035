// The machine a result was measured on: benchmark numbers mean nothing without it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { availableParallelism } from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpu: string;
  node: string;
  memory_gb: number;
  /** 1-minute load average at start and end of the run: other work on the box skews timings. */
  load_start: number;
  load_end?: number;
  /** V8/Node flags the bench ran under (e.g. --max-semi-space-size), when any. */
  node_options?: string;
  /** The code measured: `git describe` of the working tree (`-dirty` when it has changes), when in a git checkout. */
  commit?: string;
}

function commit(): string | undefined {
  const r = spawnSync('git', ['describe', '--always', '--dirty', '--abbrev=7'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  const sha = commit();
  return {
    nproc: availableParallelism(),
    cpu: c[0]?.model.trim() ?? 'unknown',
    node: process.version,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    load_start: Math.round(loadavg()[0]! * 100) / 100,
    ...(process.env.NODE_OPTIONS ? { node_options: process.env.NODE_OPTIONS } : {}),
    ...(sha ? { commit: sha } : {}),
  };
}

export function currentLoad(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/**
 * Peak RSS of this process in MB. VmHWM belongs to the address space exec created, whereas
 * getrusage's maxRSS on Linux carries over the parent's peak through fork+exec (a bench
 * parent holding its input would set every child's figure).
 */
export function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS / 1024;
}
