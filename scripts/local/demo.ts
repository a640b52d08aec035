// The demo batch `npm start` runs: a seeded AKS diagnostic dataset with every attack
// scenario, as Event Hub bodies, plus its ground truth to check detections against.
import { createHash } from 'node:crypto';
import type { Detection } from '../../functions/contracts.js';
import type { ScenarioCheck } from './summary.js';

export interface DemoDataset {
  bodies: string[];
  /**
   * The partition the demo is published on: `demo-` and a hash of its bodies. Batch keys come
   * from positions and enqueued times, so two demos at one position and time would share
   * keys, and the second would be skipped as already landed.
   */
  partitionId: string;
  /**
   * The enqueued time it is published with: its latest record time, fixed so that starting
   * again with the same demo is a redelivery (same keys: nothing lands twice).
   */
  enqueuedTime: string;
  records: number;
  scenarios: { scenario: string; technique: string; auditIds: string[] }[];
}

export async function generateDemo(count: number, seed: number): Promise<DemoDataset> {
  const { generateAksBodies } = await import('../../functions/generate/index.js');
  const { bodies, labels } = await generateAksBodies({ logType: 'aks-diagnostics', count, seed, scenarios: ['all'] });
  // As Event Hubs carries them: UTF-8 JSON text.
  const texts = bodies.map((b) => JSON.stringify(b));
  const hash = createHash('sha256');
  for (const t of texts) hash.update(t).update('\n');
  let latest = 0;
  for (const b of bodies) for (const r of b.records) latest = Math.max(latest, Date.parse(r.time) || 0);
  return {
    bodies: texts,
    partitionId: `demo-${hash.digest('hex').slice(0, 12)}`,
    enqueuedTime: new Date(latest).toISOString(),
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
