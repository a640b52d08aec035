import { describe, expect, it, vi } from 'vitest';
import functions from '@azure/functions';
import { loadConfig } from '../functions/config.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { acceptWebhook } from '../functions/webhooks/ingest.js';
import { messageForDeadLetter, processWebhookEvents } from '../functions/webhooks/process.js';
import { handleWebhookBatch } from '../functions/triggers/webhookEvents.js';
import type { BatchResult, EventInput, LandReport, Lander } from '../functions/contracts.js';
import { auditList, bearer, falcoSample, kubearmorSample, webhookRequest } from './support/webhookSamples.js';
import { WEBHOOK_MESSAGE_TYPE } from '../functions/webhooks/message.js';
import { DEFAULT_CHUNK_RECORDS } from '../functions/pipeline.js';
import * as json from '../functions/envelope/json.js';
import { tablePayloads } from '../functions/land/payload.js';
import { hmacHex } from '../functions/webhooks/auth.js';
import { webhookSecretProblems } from '../functions/webhooks/sources.js';
import { CLUSTER_MISMATCH_RULE_ID } from '../functions/webhooks/runtimeAlert.js';

const SECRET = 'shared-secret-0123456789';
const config = loadConfig({
  KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT: SECRET,
  KUBESIFT_WEBHOOK_SECRET_FALCO: SECRET,
  KUBESIFT_WEBHOOK_SECRET_KUBEARMOR: SECRET,
});
const policy = defaultPolicy('aks');

/** An authenticated POST through the HTTP side; `body` a value (sent as its JSON) or the exact text. */
function post(source: string, body: unknown, cluster = 'lab', now?: Date): ReturnType<typeof acceptWebhook> {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return acceptWebhook({ source, headers: new Headers({ authorization: `Bearer ${SECRET}` }), body: (async function* () { yield bytes; })(), cluster }, config, now);
}

async function forwarded(source: string, body: unknown, cluster = 'lab'): Promise<string[]> {
  const out = await post(source, body, cluster);
  expect(out.status).toBe(202);
  return out.messages!;
}

/** A hub message around event texts spliced in as they are (what anyone with send rights could put there). */
const hubMessage = (source: string, events: readonly string[]): string =>
  `{"type":"${WEBHOOK_MESSAGE_TYPE}","source":"${source}","cluster":"lab","receivedTime":"2025-04-20T10:00:00Z","events":[${events.join(',')}]}`;

const inputs = (bodies: unknown[], firstSeq = 100): EventInput[] =>
  bodies.map((body, i) => ({ body, position: { source: 'webhook-events', partitionId: '1', sequenceNumber: firstSeq + i, offset: String(i) } }));

describe('webhook hub messages → rows, detections, dead letters', () => {
  it('runtime alerts become Detections with their own priority/operation/action; audit events become AksAudit rows', async () => {
    const messages = [
      ...(await forwarded('falco', falcoSample)),
      ...(await forwarded('kubearmor', [kubearmorSample, { ...kubearmorSample, Operation: 'Network', Action: 'Audit', Severity: '3', Resource: 'tcp://203.0.113.9:4444' }])),
      ...(await forwarded('k8s-audit', auditList(3), 'prod-1')),
    ];
    // The host hands JSON bodies over parsed; bytes and text must work too.
    const bodies = [JSON.parse(messages[0]!), Buffer.from(messages[1]!), messages[2]!];
    const r = processWebhookEvents(inputs(bodies), { policy, now: new Date('2025-04-20T11:00:00Z') });

    expect(r.rows.AksAudit).toHaveLength(3);
    expect(r.rows.AksAudit.every((row) => row.Cluster === 'prod-1')).toBe(true);
    const runtime = r.detections.filter((d) => d.Source === 'falco' || d.Source === 'kubearmor');
    expect(runtime.map((d) => [d.Source, d.Priority, d.Operation, d.Action])).toEqual([
      ['falco', 'NOTICE', 'Process', 'Audit'],
      ['kubearmor', 'ERROR', 'File', 'Block'],
      ['kubearmor', 'NOTICE', 'Network', 'Audit'],
    ]);
    expect(runtime.every((d) => d.Cluster === 'lab')).toBe(true);
    expect(r.summary.records).toBe(3 + 3);
    expect(r.summary.deadLetters).toBe(0);
    expect(r.summary.rows.Detections).toBe(r.detections.length);
  });

  it('one bad event of a post is named in the 202 and dead-lettered; its neighbours land (the kube-apiserver drops a batch it got a 4xx for)', async () => {
    const list = auditList(4);
    delete (list.items[2] as Record<string, unknown>).requestURI;
    const armor = [kubearmorSample, { ...kubearmorSample, Operation: '' }, { ...kubearmorSample, PodName: 'other' }];
    const outs = [await post('k8s-audit', list), await post('kubearmor', armor)];
    expect(outs.map((o) => [o.status, o.body.accepted, o.body.refused, o.body.errors])).toEqual([
      [202, 3, 1, ['items.2.requestURI: missing, expected a string']],
      [202, 2, 1, [expect.stringMatching(/^1\.Operation: /)]],
    ]);
    const r = processWebhookEvents(inputs(outs.flatMap((o) => o.messages!)), { policy });
    expect(r.rows.AksAudit.map((row) => row.AuditId)).toEqual([0, 1, 3].map((i) => (list.items[i] as { auditID: string }).auditID));
    expect(r.detections.filter((d) => d.Source === 'kubearmor')).toHaveLength(2);
    expect(r.deadLetters.map((d) => [d.reason, d.category, d.position.index])).toEqual([
      ['incomplete-audit', 'k8s-audit-webhook', 2],
      ['invalid-runtime-alert', 'kubearmor', 1],
    ]);
    expect(r.deadLetters[0]!.detail).toBe('audit event requestURI: missing, expected a string');
    // The dead letter keeps the event's own bytes, for replay once the sender is fixed.
    expect(JSON.parse(r.deadLetters[0]!.raw)).toEqual(list.items[2]);
  });

  it("an alert's integers past 2^53 keep their digits in Evidence (Falco's evt.time, ns since the epoch, is in every alert)", async () => {
    const text = JSON.stringify({ ...falcoSample, output_fields: { ...falcoSample.output_fields, 'proc.pid': 4242 } }).replace('"proc.pid":4242', '"evt.time":1699956303123456789,"proc.pid":4242');
    const out = await post('falco', text);
    const [d] = processWebhookEvents(inputs(out.messages!.map((m) => Buffer.from(m))), { policy }).detections;
    expect(d!.Evidence).toMatchObject({ 'evt.time': '1699956303123456789', 'proc.pid': 4242 });
    // A key given twice (JSON.parse keeps the last; the exact reader refuses it): the plain parse, no dead letter.
    const again = await post('falco', text.replace('"proc.pid":4242', '"proc.pid":1,"proc.pid":4242'));
    const r = processWebhookEvents(inputs(again.messages!.map((m) => Buffer.from(m))), { policy });
    expect(r.deadLetters).toEqual([]);
    expect(r.detections[0]!.Evidence).toMatchObject({ 'evt.time': 1699956303123456800, 'proc.pid': 4242 });
  });

  it('an audit event without a readable time of its own is dated by when the webhook received it, not left without a time', async () => {
    const list = auditList(3);
    const items = list.items as Record<string, unknown>[];
    delete items[0]!.stageTimestamp;
    delete items[0]!.requestReceivedTimestamp;
    items[1]!.stageTimestamp = 'not-a-time';
    items[1]!.requestReceivedTimestamp = 7;
    const out = await post('k8s-audit', list, 'lab', new Date('2025-04-20T12:00:00Z'));
    const r = processWebhookEvents(inputs(out.messages!), { policy });
    expect(r.rows.AksAudit.map((row) => row.TimeGenerated)).toEqual(['2025-04-20T12:00:00.000000Z', '2025-04-20T12:00:00.000000Z', r.rows.AksAudit[2]!.StageReceivedTime]);
    expect(r.rows.AksAudit[2]!.TimeGenerated).not.toBeNull();
  });

  it('dead-letters what is not a KubeSift webhook message and alerts that fail validation, keeping the rest', async () => {
    const [good] = await forwarded('falco', falcoSample);
    const tampered = JSON.parse(good!) as { events: Record<string, unknown>[] };
    tampered.events.push({ ...falcoSample, priority: 'Loud' });
    const r = processWebhookEvents(inputs([tampered, '{"records": 1', { hello: 'world' }]), { policy });
    expect(r.detections.filter((d) => d.Source === 'falco')).toHaveLength(1);
    expect(r.deadLetters.map((d) => [d.reason, d.position.sequenceNumber, d.position.index])).toEqual([
      ['invalid-runtime-alert', 100, 1],
      ['invalid-json', 101, 0],
      ['unknown-shape', 102, 0],
    ]);
    expect(r.deadLetters[0]!.detail).toMatch(/priority/);
    expect(r.deadLetters[1]!.raw).toBe('{"records": 1');
    expect(r.summary.records).toBe(4);
  });

  it('one post of 140,000 refused items (280 KB) is 140,000 dead letters, not a failed batch that takes other clusters\' alerts with it', async () => {
    const hostile = await post('falco', `[${JSON.stringify(falcoSample)}${',0'.repeat(140_000)}]`, 'amp');
    expect(hostile.status).toBe(202);
    const [other] = await forwarded('falco', { ...falcoSample, uuid: '2e9d8a5b-0000-4000-8000-000000000001' }, 'prod');
    const r = processWebhookEvents(inputs([...hostile.messages!, other!]), { policy });
    expect(r.detections.filter((d) => d.Source === 'falco').map((d) => d.Cluster).sort()).toEqual(['amp', 'prod']);
    expect(r.deadLetters).toHaveLength(140_000);
    expect(r.summary.records).toBe(140_002);
  });

  it('one alert posted for two clusters is two detections (its id holds the cluster); posted twice for one, a single id', async () => {
    const ids = async (cluster: string, source: 'falco' | 'kubearmor', sample: unknown) =>
      processWebhookEvents(inputs(await forwarded(source, sample, cluster)), { policy }).detections.map((d) => [d.Cluster, d.DetectionId]);
    for (const [source, sample] of [['falco', falcoSample], ['kubearmor', kubearmorSample]] as const) {
      const prod = (await ids('prod', source, sample))[0]![1];
      const dev = (await ids('dev', source, sample))[0]![1];
      expect(prod, source).not.toBe(dev);
      expect((await ids('prod', source, sample))[0]![1]).toBe(prod);
    }
  });

  it('hostile values in any alert field: every alert a detection or a dead letter, the batch never fails', () => {
    const HOSTILE: unknown[] = [null, true, 0, -1, 1e308, 2 ** 53 + 1, '', 'x'.repeat(20_000), '\u0000\ud800', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59-14:00', 253_402_300_800, [], {}, { a: [1] }];
    const samples: [string, Record<string, unknown>][] = [['falco', falcoSample], ['kubearmor', kubearmorSample]];
    let alerts = 0;
    const bodies = samples.flatMap(([source, sample]) =>
      // KubeArmor's Timestamp is read only without an UpdatedTime: vary it alone as well.
      [...Object.keys(sample), ...(source === 'kubearmor' ? ['Timestamp alone'] : [])].map((field) => {
        const events = HOSTILE.map((h) =>
          field === 'Timestamp alone' ? { ...structuredClone(sample), UpdatedTime: undefined, Timestamp: h } : { ...structuredClone(sample), [field]: h });
        alerts += events.length;
        return { type: 'kubesift.webhook/v1', source, cluster: 'lab', receivedTime: '2025-04-20T10:00:00Z', events };
      }),
    );
    const r = processWebhookEvents(inputs(bodies), { policy });
    expect(r.detections.length + r.deadLetters.length).toBe(alerts);
    expect(r.summary.records).toBe(alerts);
    // Whatever became a detection has a landable time.
    for (const d of r.detections) expect(d.TimeGenerated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('an alert or audit event nested past the depth limit is dead-lettered with its own bytes; the rest of the batch lands', async () => {
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    const event = JSON.stringify(auditList(3).items[2]);
    const deepEvent = `${event.slice(0, -1)},"extra":${deep(20_000)}}`;
    const deepAlert = `${JSON.stringify(falcoSample).slice(0, -1)},"output_fields":{"a":${deep(20_000)}}}`;
    const shallowDeepish = `${JSON.stringify({ ...falcoSample, output: 'nested, within the limit' }).slice(0, -1)},"output_fields":{"a":${deep(900)}}}`;
    const message = (source: string, events: string[]): Buffer => Buffer.from(hubMessage(source, events));
    const [goodAudit] = await forwarded('k8s-audit', auditList(2), 'lab');
    const bodies = [message('falco', [JSON.stringify(falcoSample), deepAlert, shallowDeepish]), message('k8s-audit', [event, deepEvent]), Buffer.from(goodAudit!)];
    const r = processWebhookEvents(inputs(bodies), { policy, now: new Date('2025-04-20T11:00:00Z') });
    expect(r.summary.records).toBe(3 + 2 + 2);
    // Audit events' results come first (mergeResults), then the alerts'.
    expect(r.deadLetters.map((d) => [d.reason, d.position.sequenceNumber, d.position.index, d.category])).toEqual([
      ['too-deep', 101, 1, 'k8s-audit-webhook'],
      ['too-deep', 100, 1, 'falco'],
    ]);
    // Byte for byte, so replay can send them again.
    expect(r.deadLetters.map((d) => d.raw)).toEqual([deepEvent, deepAlert]);
    expect(r.detections.filter((d) => d.Source === 'falco')).toHaveLength(2);
    expect(r.rows.AksAudit).toHaveLength(3);
    // What remains can be written for landing (a 20,000-level Evidence could not).
    expect(tablePayloads(r, 'k').payloads.map((p) => [p.table, p.rows])).toEqual([['AksAudit', 3], ['Detections', r.detections.length]]);

    // An EventList inside the message (hand-sent: anyone with send rights; the route refuses
    // one) is not taken apart: it is dead-lettered whole, deep event and all, with its bytes.
    const list = `{"kind":"EventList","items":[${deepEvent}]}`;
    const nested = processWebhookEvents(inputs([message('k8s-audit', [event, list])]), { policy });
    expect(nested.deadLetters.map((d) => [d.reason, d.position.index, d.raw])).toEqual([['unknown-shape', 1, list]]);
    expect(nested.rows.AksAudit).toHaveLength(1);

    // A message handed over already parsed (no text to scan) has its alerts checked one by one.
    const parsed = processWebhookEvents(inputs([JSON.parse(bodies[0]!.toString())]), { policy });
    expect(parsed.deadLetters.map((d) => [d.reason, d.position.index])).toEqual([['too-deep', 1]]);
    expect(tablePayloads(parsed, 'k').payloads.map((p) => [p.table, p.rows])).toEqual([['Detections', 2]]);
  });

  it('an EventList nested in a posted EventList: the 202 counts it refused, and the hub dead-letters it instead of landing its events', async () => {
    const outer = auditList(1);
    const inner = { ...auditList(2), items: auditList(2).items.map((e) => ({ ...e, auditID: `inner-${e.auditID}` })) };
    const out = await post('k8s-audit', { ...outer, items: [...outer.items, inner] });
    expect(out.body).toMatchObject({ accepted: 1, refused: 1, errors: [expect.stringMatching(/^items\.1\.kind: /)] });
    const r = processWebhookEvents(inputs(out.messages!), { policy });
    expect(r.rows.AksAudit.map((row) => row.AuditId)).toEqual([outer.items[0]!.auditID]);
    expect(r.deadLetters.map((d) => [d.reason, d.position.index, JSON.parse(d.raw)])).toEqual([['unknown-shape', 1, inner]]);
  });

  it('a k8s-audit message holds audit events only: anything else in it is dead-lettered at its index, as its sender\'s, and replays as such', () => {
    const event = JSON.stringify(auditList(1).items[0]);
    // What anyone with send rights could splice in: a diagnostic record, an AKS body, a number.
    const record = JSON.stringify({ category: 'kube-apiserver', resourceId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/other', properties: { log: 'I0101 00:00:00.000000       1 x.go:1] injected' } });
    const body = `{"records":[${record}]}`;
    const r = processWebhookEvents(inputs([hubMessage('k8s-audit', [event, record, body, '5'])]), { policy });
    expect(r.rows.AksAudit).toHaveLength(1);
    expect(r.rows.AksControlPlane).toEqual([]);
    expect(r.deadLetters.map((d) => [d.reason, d.position.index, d.category, d.cluster, d.raw])).toEqual([
      ['unknown-shape', 1, 'k8s-audit-webhook', 'lab', record],
      ['unknown-shape', 2, 'k8s-audit-webhook', 'lab', body],
      ['unknown-shape', 3, 'k8s-audit-webhook', 'lab', '5'],
    ]);
    expect(r.deadLetters[0]!.detail).toBe('item 1 is an object of no known shape (audit Event; one event per item here, the webhook route takes EventLists apart)');
    expect(r.summary.records).toBe(4);
    // Replay wraps each in a k8s-audit message again (a bare hub message would fail as a whole, at index 0).
    const again = processWebhookEvents(
      r.deadLetters.map((d, i) => ({ body: messageForDeadLetter(d, 't')!, position: { source: 'webhook-events', partitionId: '1', sequenceNumber: 100, offset: '0' }, firstIndex: i + 1 })),
      { policy },
    );
    expect(again.deadLetters.map((d) => [d.reason, d.position.index, d.raw])).toEqual(r.deadLetters.map((d) => [d.reason, d.position.index, d.raw]));
  });

  it('an audit event lands, and dead-letters, as the bytes its sender wrote: no rounding, reordering or re-escaping', async () => {
    // What a parse + JSON.stringify would change: an integer past 2^53, an integer-like key
    // (hoisted to the front), an escape (\u00e9 → é), a __proto__ key, a float written 1.50.
    const odd = '{"verb":"patch","annotations":{"b":"x","10":"y"},"requestObject":{"metadata":{"generation":9007199254740993,"__proto__":{"x":1}},"data":{"caf\\u00e9":1.50}},' +
      '"kind":"Event","level":"Request","auditID":"big-1","stage":"ResponseComplete","requestURI":"/apis/example.com/v1/widgets/w","stageTimestamp":"2025-04-20T10:00:00.000000Z"}';
    const plain = JSON.stringify(auditList(1).items[0]);
    const body = `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[ ${odd} ,\n${plain}]}`;
    const accepted = await post('k8s-audit', body);
    expect(accepted.status).toBe(202);
    expect(accepted.messages![0]).toContain(`"events":[${odd},${plain}]`);

    // As text or as bytes, the message lands each event's own text.
    for (const form of ['text', 'bytes'] as const) {
      const message = accepted.messages![0]!;
      const r = processWebhookEvents(inputs([form === 'text' ? message : Buffer.from(message)]), { policy });
      const lines = tablePayloads(r, 'k').payloads.find((p) => p.table === 'AksAudit')!.ndjson.toString().trim().split('\n');
      expect(lines, form).toHaveLength(2);
      expect(lines[0], form).toContain(odd);
      expect(lines[1], form).toContain(plain);
    }
    // One the normalizer refuses keeps its bytes too (anyone with send rights could send it).
    const noId = odd.replace('"auditID":"big-1",', '');
    const refused = processWebhookEvents(inputs([hubMessage('k8s-audit', [noId])]), { policy });
    expect(refused.deadLetters.map((d) => [d.reason, d.raw])).toEqual([['incomplete-audit', noId]]);
  });

  it('a runtime alert that fails validation is dead-lettered with the bytes its sender wrote', async () => {
    const bad = JSON.stringify({ ...falcoSample, priority: 'Loud' }).replace('"hostname"', '"big":9007199254740993,"hostname"');
    const r = processWebhookEvents(inputs([Buffer.from(hubMessage('falco', [JSON.stringify(falcoSample), bad]))]), { policy });
    expect(r.detections.filter((d) => d.Source === 'falco')).toHaveLength(1);
    expect(r.deadLetters.map((d) => [d.reason, d.position.index, d.raw])).toEqual([['invalid-runtime-alert', 1, bad]]);
  });

  it('a shallow message is scanned once: its parsed audit events are not walked again by the envelope', async () => {
    const [message] = await forwarded('k8s-audit', auditList(3), 'lab');
    const walk = vi.spyOn(json, 'valueTooDeep');
    try {
      const r = processWebhookEvents(inputs([Buffer.from(message!)]), { policy });
      expect(r.rows.AksAudit).toHaveLength(3);
      expect(walk).not.toHaveBeenCalled();
      // Handed over parsed, nothing vouches for the events: each is walked.
      expect(processWebhookEvents(inputs([JSON.parse(message!)]), { policy }).rows.AksAudit).toHaveLength(3);
      expect(walk).toHaveBeenCalledTimes(3);
    } finally {
      walk.mockRestore();
    }
  });

  it('the Event Hub handler lands the batch under a key derived from the trigger positions', async () => {
    const landed: { result: BatchResult; key: string }[] = [];
    const lander: Lander = {
      kind: 'memory',
      land: async (result, key): Promise<LandReport> => {
        landed.push({ result, key });
        return { rows: { Detections: result.detections.length }, deadLetters: result.deadLetters.length, duplicatesSkipped: 0 };
      },
    };
    const messages = (await forwarded('kubearmor', kubearmorSample)).map((m) => JSON.parse(m) as unknown);
    const context = new functions.InvocationContext({
      logHandler: () => undefined,
      triggerMetadata: { partitionContext: { partitionId: '3', eventHubName: 'webhook-events' }, sequenceNumberArray: [42], offsetArray: ['4096'] },
    });
    const out = await handleWebhookBatch(messages, context, { lander, policy });
    expect(out.landed!.rows.Detections).toBe(1);
    expect(landed[0]!.key).toMatch(/^webhook-events-3-42-42-/);
    expect(landed[0]!.result.detections[0]).toMatchObject({ Source: 'kubearmor', Rule: 'block-shadow-read' });
  });

  it('a batch past DEFAULT_CHUNK_RECORDS events lands chunk by chunk, like the AKS trigger', async () => {
    const events = (tag: string, n: number) => auditList(n).items.map((e) => ({ ...e, auditID: `${tag}-${e.auditID}` }));
    const message = (source: string, cluster: string, evs: unknown[]) => ({ type: WEBHOOK_MESSAGE_TYPE, source, cluster, receivedTime: '2025-04-20T10:00:00Z', events: evs });
    // 3,000 + 1,500 audit events reach the limit after the second message; the rest is the second chunk.
    const messages = [message('k8s-audit', 'c1', events('a', 3000)), message('k8s-audit', 'c2', events('b', 1500)), message('k8s-audit', 'c1', events('c', 10)), JSON.parse((await forwarded('kubearmor', kubearmorSample))[0]!) as unknown];
    const landed: { result: BatchResult; key: string }[] = [];
    const lander: Lander = {
      kind: 'memory',
      land: async (result, key): Promise<LandReport> => {
        landed.push({ result, key });
        return { rows: { AksAudit: result.rows.AksAudit.length, Detections: result.detections.length }, deadLetters: result.deadLetters.length, duplicatesSkipped: 0 };
      },
    };
    const ctx = () => new functions.InvocationContext({ logHandler: () => undefined, triggerMetadata: { partitionContext: { partitionId: '3', eventHubName: 'webhook-events' }, sequenceNumberArray: [10, 11, 12, 13], offsetArray: ['1', '2', '3', '4'] } });
    const out = await handleWebhookBatch(messages, ctx(), { lander, policy, now: new Date('2025-04-20T11:00:00Z') });
    expect(DEFAULT_CHUNK_RECORDS).toBe(4000);
    expect(landed.map((l) => l.key.split('-').slice(0, 5).join('-'))).toEqual(['webhook-events-3-10-11', 'webhook-events-3-12-13']);
    expect(out.chunks.map((c) => c.summary.records)).toEqual([4500, 11]);
    expect(landed.map((l) => l.result.rows.AksAudit.length)).toEqual([4500, 10]);
    expect(landed[1]!.result.detections.some((d) => d.Source === 'kubearmor')).toBe(true);
    expect(out.landed?.rows.AksAudit).toBe(4510);
    // The same rows as the batch processed whole.
    const whole = processWebhookEvents(inputs(messages), { policy, now: new Date('2025-04-20T11:00:00Z') });
    expect(landed.flatMap((l) => l.result.rows.AksAudit.map((r) => r.AuditId)).sort()).toEqual(whole.rows.AksAudit.map((r) => r.AuditId).sort());
  });

  it('uses the settings its deps carry (the worker loads them once), not the environment, for the hub name', async () => {
    const keys: string[] = [];
    const lander: Lander = { kind: 'memory', land: async (result, key) => (keys.push(key), { rows: {}, deadLetters: result.deadLetters.length, duplicatesSkipped: 0 }) };
    const messages = (await forwarded('kubearmor', kubearmorSample)).map((m) => JSON.parse(m) as unknown);
    // No hub name in the trigger metadata: the setting names the source.
    const context = new functions.InvocationContext({ logHandler: () => undefined, triggerMetadata: { partitionContext: { partitionId: '1' }, sequenceNumberArray: [7], offsetArray: ['70'] } });
    await handleWebhookBatch(messages, context, { lander, policy, config: { ...config, KUBESIFT_WEBHOOK_HUB: 'hub-from-deps' } });
    expect(keys).toEqual([expect.stringMatching(/^hub-from-deps-1-7-7-/)]);
  });
});

describe('secrets bound to a cluster (<cluster>:<secret>): one cluster\'s sender cannot post as another', () => {
  const PROD = 'prod-secret-0123456789';
  const DEV = 'dev-secret-0123456789';
  const PLAIN = 'plain-secret-0123456789';
  const setting = `Prod-East:${PROD} dev:${DEV} ${PLAIN}`;
  const bound = loadConfig({ KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT: setting, KUBESIFT_WEBHOOK_SECRET_FALCO: setting, KUBESIFT_WEBHOOK_SECRET_KUBEARMOR: setting, KUBESIFT_DEFAULT_CLUSTER: 'lab' });
  const send = (source: string, body: unknown, secret: string, cluster?: string) => acceptWebhook(webhookRequest(source, JSON.stringify(body), bearer(secret), cluster), bound);
  const falcoNaming = (name: string) => ({ ...falcoSample, output_fields: { ...falcoSample.output_fields, 'k8s.cluster.name': name } });

  it('a bound secret sends as its cluster only: another ?cluster= is a 403 with nothing forwarded; none given means its own', async () => {
    for (const source of ['k8s-audit', 'falco']) {
      const body = source === 'falco' ? falcoSample : auditList(1);
      const refused = await send(source, body, PROD, 'dev');
      expect(refused.status).toBe(403);
      expect(refused.messages).toBeUndefined();
      expect(refused.body).toEqual({ error: "this credential cannot send as cluster 'dev'" });
      expect(refused.log).toBe('secret bound to cluster prod-east used for cluster dev');
      for (const asked of [undefined, 'PROD-EAST']) {
        const ok = await send(source, body, PROD, asked);
        expect(ok.status).toBe(202);
        expect(JSON.parse(ok.messages![0]!)).toMatchObject({ cluster: 'prod-east', clusterPinned: true });
      }
    }
    // The other bound secret, and the plain one (any cluster, nothing pinned), as before.
    expect(JSON.parse((await send('falco', falcoSample, DEV, 'dev')).messages![0]!)).toMatchObject({ cluster: 'dev', clusterPinned: true });
    const plain = JSON.parse((await send('falco', falcoSample, PLAIN, 'dev')).messages![0]!);
    expect([plain.cluster, 'clusterPinned' in plain]).toEqual(['dev', false]);
    expect(JSON.parse((await send('falco', falcoSample, PLAIN)).messages![0]!).cluster).toBe('lab');
    // Only the secret proves anything: the cluster name is no part of it.
    expect((await send('falco', falcoSample, `prod-east:${PROD}`)).status).toBe(401);
  });

  it('an HMAC-signed request is held to its secret\'s cluster too', async () => {
    const body = JSON.stringify(falcoSample);
    const sig = (secret: string) => ({ 'x-kubesift-signature-256': `sha256=${hmacHex(secret, Buffer.from(body))}` });
    const post = (secret: string, cluster: string) => acceptWebhook(webhookRequest('falco', body, sig(secret), cluster), bound);
    expect((await post(DEV, 'prod-east')).status).toBe(403);
    expect((await post(DEV, 'dev')).status).toBe(202);
  });

  it("a pinned alert keeps its cluster whatever it names itself; an unpinned one still takes its own name", async () => {
    const cluster = async (source: string, alert: unknown, secret: string) => {
      const out = await send(source, alert, secret);
      expect(out.status).toBe(202);
      return processWebhookEvents(inputs(out.messages!), { policy }).detections.map((d) => d.Cluster);
    };
    // Pinned: the alert and its cluster-mismatch flag (next test), both the bound cluster's.
    expect(await cluster('falco', falcoNaming('prod-east'), DEV)).toEqual(['dev', 'dev']);
    expect(await cluster('falco', falcoNaming('prod-east'), PLAIN)).toEqual(['prod-east']);
    const armor = { ...kubearmorSample, ClusterName: 'prod-east' };
    expect(await cluster('kubearmor', armor, DEV)).toEqual(['dev', 'dev']);
    expect(await cluster('kubearmor', armor, PLAIN)).toEqual(['prod-east']);
  });

  it('a pinned alert that names another cluster is flagged: one WARNING detection beside the alert, once per alert, none without a claim', async () => {
    const detections = async (source: string, alert: unknown, secret: string) => {
      const out = await send(source, alert, secret);
      expect(out.status).toBe(202);
      return processWebhookEvents(inputs(out.messages!), { policy }).detections;
    };
    for (const [source, alert] of [['falco', falcoNaming('Prod-East')], ['kubearmor', { ...kubearmorSample, ClusterName: 'prod-east' }]] as const) {
      const [own, flag, ...rest] = await detections(source, alert, DEV);
      expect(rest).toEqual([]);
      expect(own!.Cluster).toBe('dev');
      expect(flag).toMatchObject({
        RuleId: CLUSTER_MISMATCH_RULE_ID,
        Priority: 'WARNING',
        Source: source,
        Cluster: 'dev',
        TimeGenerated: own!.TimeGenerated,
        Output: `Webhook alert names another cluster than its secret is bound to: ${source} alert '${own!.Rule}' names cluster prod-east, its secret is bound to dev`,
        Evidence: { claimedCluster: 'prod-east', boundCluster: 'dev', alertDetectionId: own!.DetectionId, alertRuleId: own!.RuleId },
      });
      expect(flag!.DetectionId).not.toBe(own!.DetectionId);
      // A redelivery flags it under the same id (landing's dedupe keeps one).
      expect((await detections(source, alert, DEV)).map((d) => d.DetectionId)).toEqual([own!.DetectionId, flag!.DetectionId]);
      // Unbound secrets take the alert's name as before: nothing to flag.
      expect((await detections(source, alert, PLAIN)).map((d) => d.RuleId)).toEqual([own!.RuleId]);
    }
    // Naming its own cluster (any case), no cluster, or a name that is not a cluster name: no flag.
    for (const name of ['DEV', '', '<NA>', 'not a/name']) expect((await detections('falco', falcoNaming(name), DEV)).map((d) => d.RuleId)).toEqual([expect.stringMatching(/^falco:/)]);
    expect(await detections('kubearmor', { ...kubearmorSample, ClusterName: 'default' }, DEV)).toHaveLength(1);
  });

  it('a pinned alert that is dead-lettered replays pinned', async () => {
    const out = await send('falco', [falcoNaming('prod-east'), { rule: 'no output fields or time' }], DEV);
    expect(out.status).toBe(202);
    const first = processWebhookEvents(inputs(out.messages!), { policy });
    expect(first.deadLetters).toEqual([expect.objectContaining({ cluster: 'dev', clusterPinned: true })]);
    const again = messageForDeadLetter(first.deadLetters[0]!, '2025-04-20T10:00:00Z')!;
    expect(JSON.parse(again)).toMatchObject({ cluster: 'dev', clusterPinned: true });
    // The same letter with a valid alert in it (as a fixed policy or schema would take it) lands as the pinned cluster's.
    const fixed = messageForDeadLetter({ ...first.deadLetters[0]!, raw: JSON.stringify(falcoNaming('prod-east')) }, '2025-04-20T10:00:00Z')!;
    expect(processWebhookEvents(inputs([fixed]), { policy }).detections.map((d) => [d.Cluster, d.RuleId])).toEqual([['dev', expect.stringMatching(/^falco:/)], ['dev', CLUSTER_MISMATCH_RULE_ID]]);
  });

  it('a binding that is not a cluster name, or a bound secret too short, turns the source off and fails config --check, without echoing the text', async () => {
    const problems = (value: string) => webhookSecretProblems(loadConfig({ KUBESIFT_WEBHOOK_SECRET_FALCO: value }));
    expect(problems(`Prod/East:${PROD}`)).toEqual([expect.stringMatching(/^KUBESIFT_WEBHOOK_SECRET_FALCO binds a secret to a cluster name that is not 1-63 of a-z 0-9 \. _ -/)]);
    expect(problems(`prod:${PROD.slice(0, 8)}`)).toEqual(['KUBESIFT_WEBHOOK_SECRET_FALCO is shorter than 16 characters']);
    expect(problems(`:${PROD}`)).toHaveLength(1);
    expect(problems(setting)).toEqual([]);
    const c = loadConfig({ KUBESIFT_WEBHOOK_SECRET_FALCO: `bad/name:${PROD}` });
    const out = await acceptWebhook({ source: 'falco', headers: new Headers({ authorization: `Bearer ${PROD}` }), body: null, cluster: null }, c);
    expect(out.status).toBe(503);
    expect(JSON.stringify(out)).not.toContain('bad/name');
  });
});
