// Sample webhook payloads (hand-written, shaped like Falcosidekick / KubeArmor / audit webhook output),
// and the request acceptWebhook takes.
import type { WebhookRequest } from '../../functions/webhooks/ingest.js';

/** A webhook POST as the HTTP trigger hands it over, its body in 4 KiB chunks like a socket's. */
export function webhookRequest(source: string, body: string | Uint8Array, headers: Record<string, string>, cluster?: string): WebhookRequest {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return {
    source,
    headers: new Headers(headers),
    body: (async function* () {
      for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096);
    })(),
    cluster: cluster ?? null,
  };
}
export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** Webhook secrets for tests' configurations, by setting name (each over the minimum length). */
export const WEBHOOK_SECRETS = {
  KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT: 'audit-secret-0123456789',
  KUBESIFT_WEBHOOK_SECRET_FALCO: 'falco-secret-0123456789',
  KUBESIFT_WEBHOOK_SECRET_KUBEARMOR: 'armor-secret-0123456789',
};
export const falcoSample = {
  uuid: '3b2d7a52-8d2e-4b5c-9a0e-2f1c9e0d6b11',
  output: '10:01:02.123456789: Notice A shell was spawned in a container (user=root container=nginx shell=bash)',
  priority: 'Notice',
  rule: 'Terminal shell in container',
  time: '2025-04-20T10:01:02.123456789Z',
  output_fields: { 'container.id': 'abc123', 'k8s.ns.name': 'shop', 'k8s.pod.name': 'nginx-7d9', 'proc.cmdline': 'bash', 'user.name': 'root' },
  source: 'syscall',
  tags: ['container', 'mitre_execution', 'shell', 'T1059'],
  hostname: 'aks-nodepool1-0',
};

export const kubearmorSample = {
  Timestamp: 1745143262,
  UpdatedTime: '2025-04-20T10:01:02.654321Z',
  ClusterName: 'default',
  HostName: 'aks-nodepool1-1',
  NamespaceName: 'shop',
  PodName: 'payments-5c4',
  ContainerName: 'payments',
  Type: 'MatchedPolicy',
  PolicyName: 'block-shadow-read',
  Severity: '7',
  Tags: 'MITRE,T1003',
  Operation: 'File',
  Resource: '/etc/shadow',
  Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY',
  Action: 'Block',
  Result: 'Permission denied',
  ProcessName: '/bin/cat',
  UID: 0,
};

export const auditList = (n: number, pad = 0) => ({
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items: Array.from({ length: n }, (_, i) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `0000-${i}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/secrets/db',
    verb: 'get',
    user: { username: 'alice@example.com', groups: ['system:authenticated'] },
    objectRef: { resource: 'secrets', namespace: 'default', name: 'db', apiVersion: 'v1' },
    stageTimestamp: '2025-04-20T10:00:00.000000Z',
    annotations: pad ? { padding: 'x'.repeat(pad) } : {},
  })),
});

