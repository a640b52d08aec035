// Seeded mutation run over the webhook path: Falco, KubeArmor and audit webhook bodies with a
// value of another JSON type somewhere inside, through the HTTP side (acceptWebhook) and, when
// it accepts, the hub side (processWebhookEvents). What the HTTP side refuses gets a 400 that
// names a field; what it accepts (202: the sender will not resend) must end as rows and
// detections with every column of its type, except the events the 202 names as refused,
// which end as dead letters (one each).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../functions/config.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { Rng } from '../functions/generate/prng.js';
import { acceptWebhook } from '../functions/webhooks/ingest.js';
import { processWebhookEvents } from '../functions/webhooks/process.js';
import { WEBHOOK_SOURCES, type SourceName } from '../functions/webhooks/sources.js';
import { columnTypeError, mutateValue } from './support/mutation.js';
import { auditList, bearer, falcoSample, kubearmorSample, WEBHOOK_SECRETS, webhookRequest } from './support/webhookSamples.js';

const REQUESTS = 1_500;
const config = loadConfig(WEBHOOK_SECRETS);
/** The secret a source's sender signs with, from the sources table's setting name. */
const secretOf = (source: SourceName): string => WEBHOOK_SECRETS[WEBHOOK_SOURCES[source].secretSetting as keyof typeof WEBHOOK_SECRETS];
/** Field names the senders' schemas and the mappers read, so added keys land where they are looked for. */
const KEYS = [
  'uuid', 'output', 'priority', 'rule', 'time', 'output_fields', 'source', 'tags', 'hostname', 'k8s.ns.name', 'k8s.pod.name', 'user.name', 'ka.user.name',
  'Timestamp', 'UpdatedTime', 'ClusterName', 'HostName', 'NamespaceName', 'PodName', 'Type', 'PolicyName', 'Severity', 'Operation', 'Resource', 'Action', 'Result', 'UID',
  'kind', 'items', 'auditID', 'stage', 'verb', 'requestURI', 'user', 'objectRef', 'stageTimestamp', '__proto__',
];
const SAMPLES: [SourceName, unknown][] = [
  ['falco', falcoSample],
  ['falco', [falcoSample, { ...falcoSample, uuid: undefined, output_fields: { 'fd.name': '/etc/shadow', 'proc.pid': 7 } }]],
  ['kubearmor', kubearmorSample],
  ['kubearmor', [kubearmorSample, { ...kubearmorSample, PodName: 'other' }]],
  ['k8s-audit', auditList(3)],
  ['k8s-audit', auditList(1).items[0]],
];
const NOW = new Date('2025-04-20T10:05:00Z');

describe('damaged webhook bodies, seeded', () => {
  it(`${REQUESTS} requests: a 400 names a field; an accepted body lands typed, its refused events (named) as dead letters`, async () => {
    const rng = new Rng(20261124, 'webhooks');
    const policy = defaultPolicy('aks');
    const statuses = new Map<number, number>();
    let accepted = 0;
    let refusedBodies = 0;
    for (let n = 0; n < REQUESTS; n++) {
      const [source, sample] = rng.pick(SAMPLES);
      const body = JSON.stringify(rng.chance(0.9) ? mutateValue(rng, sample, KEYS) : sample);
      const out = await acceptWebhook(webhookRequest(source, body, bearer(secretOf(source))), config, NOW);
      const where = `request ${n} (${source}): ${body.slice(0, 300)}`;
      statuses.set(out.status, (statuses.get(out.status) ?? 0) + 1);
      if (out.status !== 202) {
        expect([400, 413], where).toContain(out.status);
        // "body: …", "items.2.auditID: …", "1.rule: …", "output_fields.x: …"
        expect(String(out.body.error), where).toMatch(/^(body|[^\s:]+): \S/);
        continue;
      }
      accepted++;
      const messages = out.messages!;
      const events = messages.reduce((sum, m) => sum + (JSON.parse(m) as { events: unknown[] }).events.length, 0);
      const r = processWebhookEvents(
        messages.map((m, i) => ({ body: Buffer.from(m), position: { source: 'webhook-events', partitionId: '0', sequenceNumber: n * 10 + i, offset: String(n) } })),
        { policy, now: NOW },
      );
      const refused = (out.body.refused as number | undefined) ?? 0;
      if (refused) {
        refusedBodies++;
        expect((out.body.errors as string[]).length, where).toBe(Math.min(refused, 10));
        for (const e of out.body.errors as string[]) expect(e, where).toMatch(/^(body|[^\s:]+): \S/);
      }
      expect(r.deadLetters.length, `${where}\n${r.deadLetters.map((d) => `${d.reason}: ${d.detail}`).join('\n')}`).toBe(refused);
      expect(columnTypeError(r), where).toBe('');
      const alerts = r.detections.filter((d) => d.Source === source).length;
      expect(source === 'k8s-audit' ? r.rows.AksAudit.length + r.summary.duplicates : alerts, where).toBe(events - refused);
    }
    // Both sides of the HTTP check were reached, often.
    expect(accepted).toBeGreaterThan(REQUESTS / 5);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(REQUESTS / 5);
    expect(refusedBodies).toBeGreaterThan(REQUESTS / 50);
  });
});
