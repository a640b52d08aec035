// The bench's measuring processes start like the deployed worker: the app entry
// (functions/index.ts) sets RUNTIME_V8_FLAGS on itself, so they do the same, unless the
// bench runs under Node's defaults (`--node-defaults`, which sets NODE_DEFAULTS_ENV).
import { applyRuntimeV8Flags, RUNTIME_V8_FLAGS } from '../../functions/eventhub/runtimeV8Flags.js';

export const NODE_DEFAULTS_ENV = 'KUBESIFT_BENCH_NODE_DEFAULTS';

/** The runtime flags as the bench reports them beside the command-line ones. */
export const shownRuntimeFlags = (): string[] => RUNTIME_V8_FLAGS.map((f) => `${f} (set at start-up)`);

/** Applies the worker's runtime V8 flags (unless under Node's defaults); returns them as shown. */
export function startLikeWorker(): string[] {
  if (process.env[NODE_DEFAULTS_ENV] === '1') return [];
  applyRuntimeV8Flags();
  return shownRuntimeFlags();
}
