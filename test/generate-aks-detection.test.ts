// The generated AKS attacks must be caught by the project's own detectors, and the benign
// traffic of the quiet cluster must not be: ground truth checked against processEvents.
import { describe, expect, it } from 'vitest';
import type { Detection } from '../functions/contracts.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { generateAksBodies, type Label } from '../functions/generate/index.js';
import { processEvents } from '../functions/pipeline.js';

async function run(logType: 'aks-audit' | 'aks-apiserver' | 'aks-diagnostics', seed: number) {
  const { bodies, labels } = await generateAksBodies({ count: 3000, seed, scenarios: ['all'], logType });
  const events = bodies.map((body, i) => ({ body, position: { source: 'test', partitionId: '0', sequenceNumber: i, offset: String(i) } }));
  const lastTime = bodies.at(-1)!.records.at(-1)!.time;
  const result = processEvents(events, { policy: defaultPolicy('aks'), now: new Date(lastTime) });
  return { result, labels };
}

const auditIdsOf = (d: Detection): string[] => (Array.isArray(d.AuditIds) ? (d.AuditIds as string[]) : []);

describe.each([
  ['aks-audit', 1],
  ['aks-audit', 2024],
  ['aks-apiserver', 3],
  ['aks-diagnostics', 7],
] as const)('%s seed %i', (logType, seed) => {
  it('every labelled scenario is detected; no detection cites a benign record', async () => {
    const { result, labels } = await run(logType, seed);
    expect(result.summary.deadLetters).toBe(0);
    const attackIds = new Map<string, Label>();
    for (const l of labels) for (const id of l.auditIds ?? []) attackIds.set(id, l);

    const caught = new Set<string>();
    const benignHits: string[] = [];
    for (const d of result.detections) {
      const ids = auditIdsOf(d);
      for (const id of ids) {
        const l = attackIds.get(id);
        if (l) caught.add(l.scenario);
        else benignHits.push(`${d.RuleId}: ${d.Output}`);
      }
    }
    expect(benignHits).toEqual([]);
    expect([...caught].sort()).toEqual(labels.map((l) => l.scenario).sort());
    // Detections without audit ids (windowed) must not appear on a quiet cluster either.
    expect(result.detections.filter((d) => auditIdsOf(d).length === 0).map((d) => `${d.RuleId}: ${d.Output}`)).toEqual([]);
  });
});

describe('record-level ground truth', () => {
  it("every audit record of secret-enumeration is cited, the cluster-wide list of secrets first (Falco's pack sees only the gets)", async () => {
    for (const seed of [1, 2024]) {
      const { result, labels } = await run('aks-audit', seed);
      const cited = new Set(result.detections.flatMap(auditIdsOf));
      const enumeration = labels.filter((l) => l.scenario === 'secret-enumeration');
      expect(enumeration.length).toBeGreaterThan(0);
      for (const l of enumeration) expect((l.auditIds ?? []).filter((id) => !cited.has(id))).toEqual([]);
      const listed = result.detections.filter((d) => d.RuleId === 'kubesift_secrets_listed_all_namespaces');
      expect(listed.map((d) => d.User)).toEqual(enumeration.map(() => 'system:serviceaccount:default:ci-runner'));
    }
  });
});
