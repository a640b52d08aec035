// Small timing helpers for the benchmark: medians and a monotonic clock in milliseconds.

/** Milliseconds from a monotonic clock (hrtime, not Date: immune to clock steps). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * CPU milliseconds this process has used (user + system, all threads: GC helpers count).
 * On a shared machine wall time swings with the neighbours' load; CPU time is what the
 * work costs, so the bench judges targets on it and reports wall time beside it.
 */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Wall and CPU milliseconds of one measured pass. */
export interface Span {
  wall: number;
  cpu: number;
}

export function spanSince(wall0: number, cpu0: number): Span {
  return { wall: nowMs() - wall0, cpu: cpuMs() - cpu0 };
}

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Round to `digits` significant decimals for reports (keeps JSON readable). */
export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Force a full GC between measurements when node runs with --expose-gc (the bench does). */
export function collect(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}
