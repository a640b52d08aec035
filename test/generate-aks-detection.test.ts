// The generated AKS attacks must be caught by the project's own detectors, and the benign
// traffic (the cluster's own and its team's kubectl) must not be, under the demo's policy
// (policies/demo.json: the aks profile plus the team): ground truth checked against processEvents.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Detection } from '../functions/contracts.js';
import { defaultPolicy, loadPolicy, type Policy } from '../functions/detect/index.js';
import { generateAksBodies, type Label } from '../functions/generate/index.js';
import { AKS_TEAM_USERS } from '../functions/generate/logtypes/aks.js';
import { processEvents } from '../functions/pipeline.js';

const demoPolicyJson = JSON.parse(readFileSync(new URL('../policies/demo.json', import.meta.url), 'utf8')) as { lists: { allowedUsers: { append: string[] } } };
const DEMO_POLICY = loadPolicy(demoPolicyJson);

async function run(logType: 'aks-audit' | 'aks-apiserver' | 'aks-diagnostics', seed: number, policy: Policy = DEMO_POLICY) {
  const { bodies, labels } = await generateAksBodies({ count: 3000, seed, scenarios: ['all'], logType });
  const events = bodies.map((body, i) => ({ body, position: { source: 'test', partitionId: '0', sequenceNumber: i, offset: String(i) } }));
  const lastTime = bodies.at(-1)!.records.at(-1)!.time;
  const result = processEvents(events, { policy, now: new Date(lastTime) });
  return { result, labels };
}

const benignDetections = (detections: readonly Detection[], labels: readonly Label[]): Detection[] => {
  const attack = new Set(labels.flatMap((l) => l.auditIds ?? []));
  return detections.filter((d) => !auditIdsOf(d).some((id) => attack.has(id)));
};

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

describe('the team', () => {
  it('policies/demo.json lists exactly the people of the generated cluster', () => {
    expect([...demoPolicyJson.lists.allowedUsers.append].sort()).toEqual([...AKS_TEAM_USERS].sort());
  });

  it('works with kubectl beside the attacks, under the name the attacks use too', async () => {
    const { bodies, labels } = await generateAksBodies({ count: 3000, seed: 5, scenarios: ['all'], logType: 'aks-audit' });
    const attack = new Set(labels.flatMap((l) => l.auditIds ?? []));
    const users = new Map<string, number>();
    for (const b of bodies)
      for (const r of b.records) {
        const ev = JSON.parse(r.properties.log) as { auditID: string; userAgent: string; user: { username: string } };
        if (attack.has(ev.auditID) || !ev.userAgent.startsWith('kubectl/')) continue;
        users.set(ev.user.username, (users.get(ev.user.username) ?? 0) + 1);
      }
    expect([...users.keys()].sort()).toEqual([...AKS_TEAM_USERS].sort());
    // About 3% of the audit records.
    const total = [...users.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(3000 * 0.015);
    expect(total).toBeLessThan(3000 * 0.05);
  });

  it("without the team in allowedUsers, the aks profile's Disallowed K8s User is all the benign traffic raises", async () => {
    const { result, labels } = await run('aks-diagnostics', 7, defaultPolicy('aks'));
    const benign = benignDetections(result.detections, labels);
    expect(benign.length).toBeGreaterThan(10);
    expect(new Set(benign.map((d) => d.RuleId))).toEqual(new Set(['k8s_disallowed_user']));
    expect(new Set(benign.map((d) => d.User))).toEqual(new Set(AKS_TEAM_USERS));
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
