// The demo batch `npm start` runs: a seeded AKS diagnostic dataset with every attack
// scenario, as Event Hub bodies, plus its ground truth to check detections against.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Detection } from '../../functions/contracts.js';
import type { ScenarioCheck } from './summary.js';

/** The demo's detection policy when the user gives none: the aks profile plus the generated cluster's team. */
export const DEMO_POLICY_PATH = fileURLToPath(new URL('../../policies/demo.json', import.meta.url));

/** Where `npm start` publishes a set of bodies (the demo, --input): fixed by the bodies. */
export interface FixedPosition {
  /**
   * A prefix and a hash of the bodies. Batch keys come from positions and enqueued times, so
   * two sets at one position and time would share keys, and the second would be skipped as
   * already landed.
   */
  partitionId: string;
  /**
   * The bodies' latest record time (for --input without one, the files' latest modification
   * time; 1970-01-01 from stdin), fixed so that publishing the same bodies again is a
   * redelivery (same keys: nothing lands twice).
   */
  enqueuedTime: string;
}

/** The position of `bodies` (their bytes, in order) whose latest record time is `latestMs`. */
export function fixedPosition(prefix: string, bodies: Iterable<string | Uint8Array>, latestMs: number): FixedPosition {
  const hash = createHash('sha256');
  for (const b of bodies) hash.update(b).update('\n');
  return { partitionId: `${prefix}-${hash.digest('hex').slice(0, 12)}`, enqueuedTime: new Date(latestMs).toISOString() };
}

export interface DemoDataset extends FixedPosition {
  bodies: string[];
  records: number;
  scenarios: { scenario: string; technique: string; auditIds: string[] }[];
}

export async function generateDemo(count: number, seed: number): Promise<DemoDataset> {
  const { generateAksBodies } = await import('../../functions/generate/index.js');
  const { bodies, labels } = await generateAksBodies({ logType: 'aks-diagnostics', count, seed, scenarios: ['all'] });
  // As Event Hubs carries them: UTF-8 JSON text.
  const texts = bodies.map((b) => JSON.stringify(b));
  let latest = 0;
  for (const b of bodies) for (const r of b.records) latest = Math.max(latest, Date.parse(r.time) || 0);
  return {
    bodies: texts,
    ...fixedPosition('demo', texts, latest),
    records: bodies.reduce((n, b) => n + b.records.length, 0),
    scenarios: labels.map((l) => ({ scenario: l.scenario, technique: l.technique, auditIds: l.auditIds ?? [] })),
  };
}

/** A scenario is caught when some detection names one of its labelled audit IDs. */
export function checkScenarios(demo: DemoDataset, detections: readonly Detection[]): ScenarioCheck[] {
  const fired = new Set<string>();
  for (const d of detections) if (Array.isArray(d.AuditIds)) for (const id of d.AuditIds) fired.add(String(id));
  return demo.scenarios.map((s) => ({ scenario: s.scenario, technique: s.technique, caught: s.auditIds.some((id) => fired.has(id)) }));
}
