// Synthetic AKS diagnostic Event Hub bodies for landing tests: `audit` kube-audit events
// (unique auditIDs) and `lines` kube-apiserver klog lines, spread over `events` bodies.
import type { EventInput } from '../../functions/contracts.js';

const RESOURCE_ID = '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/LANDTEST';

function auditEvent(i: number, seed: string): Record<string, unknown> {
  const t = new Date(Date.UTC(2025, 0, 2, 3, 4, 5) + i * 1000).toISOString();
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `${seed}-${String(i).padStart(8, '0')}-0000-0000-000000000000`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/team-${i % 7}/configmaps/cm-${i}`,
    verb: 'update',
    user: { username: `user-${i % 13}@example.com`, groups: ['system:authenticated'] },
    sourceIPs: [`10.0.${i % 250}.${(i * 7) % 250}`],
    userAgent: 'kubectl/v1.30.0 (linux/amd64) kubernetes/abcdef',
    objectRef: { resource: 'configmaps', namespace: `team-${i % 7}`, name: `cm-${i}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: t,
    stageTimestamp: t,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed' },
  };
}

function klogLine(i: number): string {
  return `I0102 03:04:${String(i % 60).padStart(2, '0')}.123456      12 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/nodes?limit=${i}" latency="1.5ms" userAgent="kubelet/v1.30.0" audit-ID="line-${i}" srcIP="10.1.0.${i % 250}:443" resp=200`;
}

export interface AksBatchSpec {
  audit: number;
  lines: number;
  events: number;
  /** Distinguishes audit IDs of different batches. */
  seed?: string;
  partitionId?: string;
  firstSequence?: number;
}

export function aksEvents(spec: AksBatchSpec): EventInput[] {
  const records: unknown[] = [];
  for (let i = 0; i < spec.audit; i++)
    records.push({ category: 'kube-audit', time: '2025-01-02T03:04:05Z', resourceId: RESOURCE_ID, properties: { log: JSON.stringify(auditEvent(i, spec.seed ?? 'aaaaaaaa')), pod: 'kube-apiserver-0', stream: 'stdout' } });
  for (let i = 0; i < spec.lines; i++)
    records.push({ category: 'kube-apiserver', time: '2025-01-02T03:04:05Z', resourceId: RESOURCE_ID, properties: { log: klogLine(i), pod: 'kube-apiserver-0', stream: 'stderr' } });
  const per = Math.ceil(records.length / spec.events);
  const out: EventInput[] = [];
  for (let e = 0; e < spec.events; e++) {
    const seq = (spec.firstSequence ?? 100) + e;
    out.push({
      body: Buffer.from(JSON.stringify({ records: records.slice(e * per, (e + 1) * per) })),
      position: { source: 'aks-diagnostics', partitionId: spec.partitionId ?? '0', sequenceNumber: seq, offset: String(seq * 1000) },
    });
  }
  return out;
}

/** Records inside dead-lettered event bodies (what a replay would re-drive). */
export function recordsInBody(raw: string): number {
  const body = JSON.parse(raw) as { records?: unknown[] };
  return body.records?.length ?? 0;
}
