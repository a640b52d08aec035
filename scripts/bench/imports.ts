// Import time of the app entry and of each trigger module, each in a fresh process on the
// built JS (cold-start proxy), plus what the entry drags in: heavy modules on the Event Hub
// path cost every cold start of every instance.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { built, BUILD_DIR, ROOT } from './build.js';
import { probe } from './spawn.js';
import { median, round } from './stats.js';

/** Modules that must not load at app start (they belong to other paths or load lazily). */
export const HEAVY: readonly { match: string; why: string }[] = [
  { match: 'node_modules/@kusto/language-service-next/', why: 'KQL language service (kql checks only)' },
  { match: 'node_modules/avsc/', why: 'Avro (Event Hubs Capture replay only)' },
  { match: '/functions/generate/', why: 'dataset generators (HTTP dataset path only)' },
  { match: 'node_modules/playwright-core/', why: 'browser automation (tests only)' },
  { match: 'node_modules/tree-sitter', why: 'Bicep syntax checks (tests only)' },
  { match: 'node_modules/typescript/', why: 'compiler' },
  // The clients load on first use (a batch to land, a queue message), not at app start.
  { match: 'node_modules/@azure/event-hubs/', why: 'Event Hubs client (sift send only; triggers get events from the host)' },
  { match: 'node_modules/azure-kusto-', why: 'Kusto clients (loaded when a Kusto sink first lands)' },
  { match: 'node_modules/@azure/identity/', why: 'identity (loaded with the first client)' },
  { match: 'node_modules/@azure/storage-', why: 'storage clients (loaded when a sink first lands)' },
];

export interface ImportResult {
  entry_ms: number;
  triggers_ms: Record<string, number>;
  /** Loaded by the entry: package (or functions/<dir>) → number of files. */
  loaded: Record<string, number>;
  offenders: { module: string; files: number; why: string }[];
}

/** Trigger modules that made it into the build (a file created after it waits for the next run). */
function triggerFiles(): string[] {
  return readdirSync(`${ROOT}/functions/triggers`)
    .filter((f) => f.endsWith('.ts') && f !== 'registry.ts')
    .map((f) => `functions/triggers/${f}`)
    .filter((f) => existsSync(built(f)));
}

/** Group a loaded URL under its package or repository folder. */
function groupOf(url: string): string | null {
  if (!url.startsWith('file:')) return null;
  const path = fileURLToPath(url);
  // The build folder itself lives under node_modules: check it first.
  if (path.startsWith(BUILD_DIR)) {
    const rel = path.slice(BUILD_DIR.length + 1).split('/');
    return rel.length > 2 ? `${rel[0]}/${rel[1]}/` : rel.join('/');
  }
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 14).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return path;
}

export function measureImports(runs: number): ImportResult {
  const time = (file: string): number => {
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) xs.push(probe<{ ms: number }>(['import', built(file)]).ms);
    return round(median(xs), 1);
  };
  const entry_ms = time('functions/index.ts');
  const triggers_ms: Record<string, number> = {};
  for (const f of triggerFiles()) triggers_ms[f.slice('functions/triggers/'.length, -3)] = time(f);

  const { urls } = probe<{ urls: string[] }>(['modules', built('functions/index.ts')]);
  const loaded: Record<string, number> = {};
  const offenders = new Map<string, { module: string; files: number; why: string }>();
  for (const u of urls) {
    const g = groupOf(u);
    if (g === null) continue;
    loaded[g] = (loaded[g] ?? 0) + 1;
    const heavy = HEAVY.find((h) => fileURLToPath(u).includes(h.match));
    if (heavy) {
      const o = offenders.get(g) ?? { module: g, files: 0, why: heavy.why };
      o.files++;
      offenders.set(g, o);
    }
  }
  return { entry_ms, triggers_ms, loaded, offenders: [...offenders.values()] };
}
