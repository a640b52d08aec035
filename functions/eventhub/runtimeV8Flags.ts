// V8 flags the worker sets on itself as the app entry loads (and the sift commands that run
// the pipeline: scripts/sift.ts), because NODE_OPTIONS refuses
// them ("is not allowed in NODE_OPTIONS") and the host's worker-arguments setting has been
// ignored on some plans (docs/deploy.md).
//
// --no-allocation-site-pretenuring: a trigger batch keeps its rows alive until it lands, so
// V8 sometimes sees all of a batch's rows alive at a scavenge, marks their allocation site
// "tenure" and allocates rows straight into the old generation for several passes. Each
// scavenge then promotes ~17 MB and pauses 20-30 ms instead of 1-9 ms; bench processes that
// fell into that state ran ~1.4-1.8x slower (docs/performance.md, seventh round). The flag
// only switches off a heuristic; Node 20-24 leave flags writable after start-up.
import v8 from 'node:v8';

export const RUNTIME_V8_FLAGS = ['--no-allocation-site-pretenuring'] as const;

let applied = false;

/** Sets RUNTIME_V8_FLAGS once per process; call before the first batch. */
export function applyRuntimeV8Flags(): void {
  if (applied) return;
  for (const flag of RUNTIME_V8_FLAGS) v8.setFlagsFromString(flag);
  applied = true;
}

/** One log line: whether this process set them. */
export function runtimeV8FlagsLine(): string {
  return applied ? `worker V8: ${RUNTIME_V8_FLAGS.join(' ')} set at start-up` : 'worker V8: runtime flags not set (the app entry functions/index.js did not load)';
}
