// Builders for RawRecords / EventInputs in tests.
import type { EventInput, RawRecord } from '../../functions/contracts.js';

export const RID = '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG-SIFT/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/SIFT-DEV';

export function rawRecord(over: Partial<RawRecord> = {}): RawRecord {
  return {
    category: 'kube-apiserver',
    time: '2024-03-01T10:00:00Z',
    resourceId: RID,
    cluster: 'sift-dev',
    pod: 'kube-apiserver-0',
    stream: 'stderr',
    log: '',
    source: 'diagnostic',
    position: { source: 'test', partitionId: '0', sequenceNumber: 7, offset: '700', index: 0 },
    ...over,
  };
}

export function diagRecord(category: string, log: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    category,
    resourceId: RID,
    properties: { log, stream: category.startsWith('kube-audit') ? 'stdout' : 'stderr', pod: 'kube-apiserver-0' },
    time: '2024-03-01T10:00:00.0000000Z',
    ...over,
  };
}

export function input(body: unknown, sequenceNumber = 1, partitionId = '0'): EventInput {
  return { body, position: { source: 'test', partitionId, sequenceNumber, offset: String(sequenceNumber * 100), } };
}

/** An audit Event with sensible defaults. */
export function auditEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: 'aaaaaaaa-0000-0000-0000-000000000001',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods/web-0',
    verb: 'get',
    user: { username: 'alice@example.com', groups: ['system:authenticated'] },
    sourceIPs: ['10.1.2.3'],
    userAgent: 'kubectl/v1.29.2',
    objectRef: { resource: 'pods', namespace: 'default', name: 'web-0', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2024-03-01T10:00:00.100000Z',
    stageTimestamp: '2024-03-01T10:00:00.123456Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    ...over,
  };
}
