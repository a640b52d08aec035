import { afterEach, describe, expect, it, vi } from 'vitest';
import functions from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { useAzurite } from './support/azurite.js';
import { loadConfig } from '../functions/config.js';
import { DEFAULT_CHUNK_RECORDS } from '../functions/pipeline.js';
import { defaultPolicy } from '../functions/detect/index.js';
import type { BatchResult, LandReport, Lander } from '../functions/contracts.js';
import { writeCapture, readCapture } from '../functions/capture/avro.js';
import { handleEventGrid } from '../functions/triggers/eventGrid.js';
import type { ReplayDeps } from '../functions/capture/replay.js';
import { WEBHOOK_MESSAGE_TYPE } from '../functions/webhooks/message.js';
import { falcoSample } from './support/webhookSamples.js';

const RESOURCE_ID = '/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-LAB';
const auditRecord = (id: string) => ({
  time: '2025-04-20T10:00:00.0000000Z',
  resourceId: RESOURCE_ID,
  category: 'kube-audit',
  operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
  properties: {
    pod: 'kube-apiserver-abc',
    stream: 'stdout',
    log: JSON.stringify({
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: id, stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/shop/pods', verb: 'create', user: { username: 'alice@example.com' },
      objectRef: { resource: 'pods', namespace: 'shop', name: 'web', apiVersion: 'v1' },
      responseStatus: { code: 201 }, stageTimestamp: '2025-04-20T10:00:00.123456Z', requestReceivedTimestamp: '2025-04-20T10:00:00.100000Z',
    }),
  },
});

function memoryLander(): Lander & { batches: { result: BatchResult; key: string }[] } {
  const batches: { result: BatchResult; key: string }[] = [];
  return {
    kind: 'memory',
    batches,
    land: async (result, key): Promise<LandReport> => {
      batches.push({ result, key });
      return { rows: { AksAudit: result.rows.AksAudit.length, Detections: result.detections.length }, deadLetters: result.deadLetters.length, duplicatesSkipped: 0 };
    },
  };
}

/** The function's context; `lines`, when given, collects what it logs. */
const ctx = (lines?: unknown[]) => new functions.InvocationContext({ functionName: 'eventGrid', logHandler: (_level, ...a) => void lines?.push(...a) });
const post = (body: unknown, headers: Record<string, string> = {}) =>
  new functions.HttpRequest({ method: 'POST', url: 'http://localhost/api/eventgrid', headers: { 'content-type': 'application/json', ...headers }, body: { string: JSON.stringify(body) } });

/** A CaptureFileCreated event for a file holding the sequence numbers first..last. */
const captureEvent = (fileUrl: string, hub: string, partitionId = '2', [first, last] = [7, 9]) => [
  {
    id: 'e1', topic: '/subscriptions/0000/resourcegroups/rg/providers/Microsoft.EventHub/namespaces/ns1', subject: `eventhubs/${hub}`,
    eventType: 'Microsoft.EventHub.CaptureFileCreated', eventTime: '2025-04-20T10:05:00Z', dataVersion: '1', metadataVersion: '1',
    data: { fileUrl, fileType: 'AzureBlockBlob', partitionId, sizeInBytes: 1000, eventCount: last - first + 1, firstSequenceNumber: first, lastSequenceNumber: last, firstEnqueueTime: '2025-04-20T10:00:00Z', lastEnqueueTime: '2025-04-20T10:01:00Z' },
  },
];

describe('Event Grid endpoint', () => {
  const azurite = useAzurite();
  /** Settings, blob client and the capture container (created) on this run's Azurite. */
  const captureStore = async () => {
    const config = loadConfig({ KUBESIFT_STORAGE_CONNECTION: azurite.current.connectionString });
    const blobs = BlobServiceClient.fromConnectionString(azurite.current.connectionString);
    const container = blobs.getContainerClient(config.KUBESIFT_CAPTURE_CONTAINER);
    await container.createIfNotExists();
    return { config, blobs, container };
  };

  it('answers the subscription-validation handshake', async () => {
    const res = await handleEventGrid(
      post([{ id: 'v', topic: 't', subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: '2025-04-20T10:00:00Z', dataVersion: '2', data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://example.invalid' } }], { 'aeg-event-type': 'SubscriptionValidation' }),
      ctx(),
    );
    expect(res).toMatchObject({ status: 200, jsonBody: { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' } });
  });

  it('reads a body with a UTF-8 BOM, and refuses bytes that are not UTF-8 instead of answering an altered code', async () => {
    const handshake = JSON.stringify([{ id: 'v', topic: 't', subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: '2025-04-20T10:00:00Z', dataVersion: '2', data: { validationCode: 'code-X' } }]);
    const raw = (bytes: Uint8Array) => new functions.HttpRequest({ method: 'POST', url: 'http://localhost/api/eventgrid', headers: { 'content-type': 'application/json' }, body: { bytes } });
    const bom = await handleEventGrid(raw(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(handshake)])), ctx());
    expect(bom).toMatchObject({ status: 200, jsonBody: { validationResponse: 'code-X' } });
    const bad = Buffer.from(handshake);
    bad[bad.indexOf('code-X') + 5] = 0xff;
    expect(await handleEventGrid(raw(bad), ctx())).toMatchObject({ status: 400, jsonBody: { error: 'body: not valid UTF-8' } });
  });

  it("a 400 names the field of the schema the event claims, with the event's index", async () => {
    const cloud = { specversion: '1.0', id: 'c1', type: 'Microsoft.EventHub.CaptureFileCreated', subject: 'eventhubs/aks-diagnostics', data: {} };
    expect(await handleEventGrid(post([cloud]), ctx())).toMatchObject({ status: 400, jsonBody: { error: expect.stringMatching(/^0\.source: /) } });
    const grid = { id: 'g1', subject: '', data: {} };
    expect(await handleEventGrid(post([grid]), ctx())).toMatchObject({ status: 400, jsonBody: { error: expect.stringMatching(/^0\.eventType: /) } });
    const handshake = { id: 'v', topic: 't', subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: '2025-04-20T10:00:00Z', dataVersion: '2', data: {} };
    const other = { id: 'o', subject: '', eventType: 'Some.Other.Event', data: {} };
    expect(await handleEventGrid(post([handshake]), ctx())).toMatchObject({ status: 400, jsonBody: { error: '0.data.validationCode: expected string' } });
    // The handshake comes alone: answered beside other events, they were dropped with a 200.
    const answerable = { ...handshake, data: { validationCode: 'code-1' } };
    expect(await handleEventGrid(post([other, answerable]), ctx())).toMatchObject({ status: 400, jsonBody: { error: expect.stringMatching(/^1: a Microsoft\.EventGrid\.SubscriptionValidationEvent comes alone, not with 1 other event/) } });
    // A capture event must name its partition: positions, batch keys and dedupe hang on it.
    const { partitionId: _p, ...noPartition } = captureEvent('https://acct.blob.core.windows.net/capture/x.avro', 'aks-diagnostics')[0]!.data;
    expect(await handleEventGrid(post([{ ...captureEvent('', '')[0]!, data: noPartition }]), ctx())).toMatchObject({ status: 400, jsonBody: { error: expect.stringMatching(/^0\.data\.partitionId: /) } });
  });

  it('answers the CloudEvents OPTIONS handshake and refuses one without an origin', async () => {
    const ok = await handleEventGrid(new functions.HttpRequest({ method: 'OPTIONS', url: 'http://localhost/api/eventgrid', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } }), ctx());
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({ 'WebHook-Allowed-Origin': 'eventgrid.azure.net' });
    const bad = await handleEventGrid(new functions.HttpRequest({ method: 'OPTIONS', url: 'http://localhost/api/eventgrid' }), ctx());
    expect(bad.status).toBe(400);
  });

  it('replays a capture file of the AKS hub from Azurite through the pipeline with the captured positions', async () => {
    const { config, blobs, container } = await captureStore();
    const avro = await writeCapture([
      { sequenceNumber: 7, offset: '4294967296', enqueuedTimeUtc: '4/20/2025 10:00:00 AM', body: Buffer.from(JSON.stringify({ records: [auditRecord('a-1'), auditRecord('a-2')] })) },
      { sequenceNumber: 8, offset: '4294968000', enqueuedTimeUtc: '4/20/2025 10:00:01 AM', body: Buffer.from(JSON.stringify({ records: [auditRecord('a-3')] })) },
      { sequenceNumber: 9, offset: '4294969000', enqueuedTimeUtc: '4/20/2025 10:00:02 AM', body: Buffer.from('{"records": [') },
    ]);
    // Sanity: the file really is a capture-shaped Avro container.
    const back = [];
    for await (const e of readCapture(avro)) back.push(e.sequenceNumber);
    expect(back).toEqual([7, 8, 9]);
    const name = 'ns1/aks-diagnostics/2/2025/04/20/10/00/00.avro';
    await container.getBlockBlobClient(name).uploadData(avro);

    const lander = memoryLander();
    const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander, policy: defaultPolicy('aks'), batchSize: 2 });
    const res = await handleEventGrid(post(captureEvent(`${container.url}/${name}`, 'aks-diagnostics')), ctx(), deps);
    expect(res.status).toBe(200);
    const [report] = (res.jsonBody as { replayed: { events: number; batches: number; records: number; deadLetters: number; hub: string }[] }).replayed;
    expect(report).toMatchObject({ hub: 'aks-diagnostics', events: 3, batches: 2, deadLetters: 1 });
    const rows = lander.batches.flatMap((b) => b.result.rows.AksAudit);
    expect(rows.map((r) => r.AuditId)).toEqual(['a-1', 'a-2', 'a-3']);
    expect(rows.every((r) => r.Cluster === 'aks-lab')).toBe(true);
    const dl = lander.batches.flatMap((b) => b.result.deadLetters);
    // The captured enqueued time too: with it the batch keys of two lives of a hub stay apart.
    expect(dl[0]!.position).toEqual({ source: 'aks-diagnostics', partitionId: '2', sequenceNumber: 9, offset: '4294969000', enqueuedTime: '2025-04-20T10:00:02.000Z', index: 0 });
    expect(lander.batches[0]!.key).toMatch(/^aks-diagnostics-2-7-8-/);
  });

  it('an AKS capture batch past one chunk lands in the trigger\'s chunks, each under its own bodies\' key', async () => {
    const { config, blobs, container } = await captureStore();
    const big = { records: Array.from({ length: DEFAULT_CHUNK_RECORDS }, (_, i) => auditRecord(`big-${i}`)) };
    const avro = await writeCapture([
      { sequenceNumber: 20, offset: '100', enqueuedTimeUtc: '4/20/2025 10:00:00 AM', body: Buffer.from(JSON.stringify(big)) },
      { sequenceNumber: 21, offset: '200', enqueuedTimeUtc: '4/20/2025 10:00:01 AM', body: Buffer.from(JSON.stringify({ records: [auditRecord('after')] })) },
    ]);
    const name = 'ns1/aks-diagnostics/2/2025/04/20/10/20/00.avro';
    await container.getBlockBlobClient(name).uploadData(avro);
    const lander = memoryLander();
    const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander, policy: defaultPolicy('aks') });
    const res = await handleEventGrid(post(captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '2', [20, 21])), ctx(), deps);
    expect(res.status).toBe(200);
    expect((res.jsonBody as { replayed: { batches: number; records: number }[] }).replayed[0]).toMatchObject({ batches: 2, records: DEFAULT_CHUNK_RECORDS + 1 });
    expect(lander.batches.map((b) => [b.key.split('-').slice(0, 5).join('-'), b.result.rows.AksAudit.length])).toEqual([['aks-diagnostics-2-20-20', DEFAULT_CHUNK_RECORDS], ['aks-diagnostics-2-21-21', 1]]);
  });

  it('replays an event Event Grid dead-lettered (its blob posted back as it is) under the batch keys of a normal delivery', async () => {
    const { config, blobs, container } = await captureStore();
    const name = 'ns1/aks-diagnostics/3/2025/04/20/11/00/00.avro';
    await container.getBlockBlobClient(name).uploadData(await writeCapture([{ sequenceNumber: 1, offset: '0', enqueuedTimeUtc: '', body: Buffer.from(JSON.stringify({ records: [auditRecord('dl-1')] })) }]));
    const event = captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '3', [1, 1]);
    // What the eventgrid-deadletter container holds: the events, plus Event Grid's delivery fields.
    const deadLettered = event.map((e) => ({ ...e, deadLetterReason: 'MaxDeliveryAttemptsExceeded', deliveryAttempts: 30, lastDeliveryOutcome: 'Probation', lastHttpStatusCode: 503, publishTime: '2025-04-20T11:00:01Z', lastDeliveryAttemptTime: '2025-04-21T11:00:00Z' }));
    const keys: string[][] = [];
    for (const body of [event, deadLettered]) {
      const lander = memoryLander();
      const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander, policy: defaultPolicy('aks') });
      const res = await handleEventGrid(post(body), ctx(), deps);
      expect(res.status).toBe(200);
      expect(lander.batches.flatMap((b) => b.result.rows.AksAudit.map((r) => r.AuditId))).toEqual(['dl-1']);
      keys.push(lander.batches.map((b) => b.key));
    }
    expect(keys[1]).toEqual(keys[0]);
  });

  it('a cut capture file is a 500 naming what is missing (Avro ends quietly at a cut): what was read lands, the tail waits for the retry', async () => {
    const { config, blobs, container } = await captureStore();
    const events = [30, 31, 32, 33, 34].map((n) => ({ sequenceNumber: n, offset: String(n * 100), enqueuedTimeUtc: '', body: Buffer.from(JSON.stringify({ records: [auditRecord(`cut-${n}`)] })) }));
    // Blocks of two events, as Capture writes many blocks per file.
    const whole = await writeCapture(events, 'null', { blockBytes: 1 });
    const count = async (b: Buffer) => {
      let n = 0;
      for await (const _ of readCapture(b)) n++;
      return n;
    };
    // The longest cut that Avro ends quietly after four events: the last block cut mid-way.
    let cut = whole.length - 1;
    while (cut > 0 && (await count(whole.subarray(0, cut)).catch(() => -1)) !== 4) cut--;
    expect(cut).toBeGreaterThan(0);
    const name = 'ns1/aks-diagnostics/2/2025/04/20/12/00/00.avro';
    const blob = container.getBlockBlobClient(name);
    const lander = memoryLander();
    const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander, policy: defaultPolicy('aks'), batchSize: 3 });
    const delivery = () => post(captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '2', [30, 34]));
    const landed = () => lander.batches.map((b) => b.result.rows.AksAudit.map((r) => r.AuditId));

    await blob.uploadData(whole.subarray(0, cut));
    const logged: unknown[] = [];
    expect((await handleEventGrid(delivery(), ctx(logged), deps)).status).toBe(500);
    expect(logged.join('\n')).toContain('holds 4 of the 5 events announced: the file or its download is cut');
    // The full batch 30-32 landed; 33, read but short of a batch, waits for the retry.
    expect(landed()).toEqual([['cut-30', 'cut-31', 'cut-32']]);

    await blob.uploadData(whole);
    expect((await handleEventGrid(delivery(), ctx(), deps)).status).toBe(200);
    expect(landed()).toEqual([['cut-30', 'cut-31', 'cut-32'], ['cut-30', 'cut-31', 'cut-32'], ['cut-33', 'cut-34']]);
    // The retry lands the first batch under the key it had, which the sink skips.
    expect(lander.batches[1]!.key).toBe(lander.batches[0]!.key);

    // A file Avro cannot decode, or not of Capture's schema, says where it stopped.
    const renamed = Buffer.from(whole);
    renamed.write('XXXX', renamed.indexOf('SequenceNumber'));
    const garbled = Buffer.from(whole);
    garbled.fill(0xff, cut - 40, cut);
    for (const [damaged, why] of [[renamed, 'cannot decode past event 0: not an Event Hubs Capture record'], [garbled, 'cannot decode past event 4 (sequence number 33): ']] as const) {
      await blob.uploadData(damaged);
      const unreadable: unknown[] = [];
      expect((await handleEventGrid(delivery(), ctx(unreadable), deps)).status).toBe(500);
      expect(unreadable.join('\n')).toContain(`00.avro: ${why}`);
    }
  });

  it("dates a klog line without a record time by the batch's enqueued time, as the live trigger does, not the wall clock", async () => {
    const { config, blobs, container } = await captureStore();
    const name = 'ns1/aks-diagnostics/1/2019/12/31/23/00/00.avro';
    const klog = { resourceId: RESOURCE_ID, category: 'kube-scheduler', properties: { pod: 'kube-scheduler-1', stream: 'stderr', log: 'I1231 23:59:59.000000       1 scheduler.go:1] hello\n' } };
    await container.getBlockBlobClient(name).uploadData(await writeCapture([{ sequenceNumber: 5, offset: '500', enqueuedTimeUtc: '12/31/2019 11:59:59 PM', body: Buffer.from(JSON.stringify({ records: [klog] })) }]));
    const lander = memoryLander();
    const res = await handleEventGrid(post(captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '1', [5, 5])), ctx(), async () => ({ config, blobs, lander, policy: defaultPolicy('aks') }));
    expect(res.status).toBe(200);
    expect(lander.batches.flatMap((b) => b.result.rows.AksControlPlane.map((r) => r.TimeGenerated))).toEqual(['2019-12-31T23:59:59.000000Z']);
  });

  it('reads Capture\'s EnqueuedTimeUtc as UTC (.NET invariant form or ISO), and nothing else', async () => {
    const { captureTimeMs } = await import('../functions/capture/avro.js');
    expect(captureTimeMs('4/20/2025 10:00:01 AM')).toBe(Date.UTC(2025, 3, 20, 10, 0, 1));
    expect(captureTimeMs('4/20/2025 12:00:01 AM')).toBe(Date.UTC(2025, 3, 20, 0, 0, 1));
    expect(captureTimeMs('12/31/2019 11:59:59 PM')).toBe(Date.UTC(2019, 11, 31, 23, 59, 59));
    expect(captureTimeMs('12/31/2019 23:59:59')).toBe(Date.UTC(2019, 11, 31, 23, 59, 59));
    expect(captureTimeMs('2025-04-20T10:00:01.5Z')).toBe(Date.UTC(2025, 3, 20, 10, 0, 1, 500));
    for (const bad of ['', 'soon', '2/30/2025 10:00:00 AM', '4/20/2025 13:00:00 PM', '4/20/2025 10:61:00 AM']) expect(captureTimeMs(bad), bad).toBeNaN();
  });

  it("keeps a body its file's schema declares a string (Capture writes bytes; a record must not empty)", async () => {
    const avro = (await import('avsc')).default;
    const schema = { type: 'record', name: 'EventData', fields: [{ name: 'SequenceNumber', type: 'long' }, { name: 'Offset', type: 'string' }, { name: 'EnqueuedTimeUtc', type: 'string' }, { name: 'Body', type: ['null', 'string'] }] };
    const encoder = new avro.streams.BlockEncoder(avro.Type.forSchema(schema as never));
    const chunks: Buffer[] = [];
    encoder.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => encoder.on('end', resolve));
    encoder.end({ SequenceNumber: 1, Offset: '0', EnqueuedTimeUtc: '', Body: '{"records":[]}' });
    await done;
    const events = [];
    for await (const e of readCapture(Buffer.concat(chunks))) events.push(e.body?.toString('utf8'));
    expect(events).toEqual(['{"records":[]}']);
  });

  it('a landing that fails is the sink\'s failure, not a damaged file; the download is released', async () => {
    const { config, blobs, container } = await captureStore();
    const name = 'ns1/aks-diagnostics/0/2025/04/20/12/00/00.avro';
    const bodies = Array.from({ length: 6 }, (_, i) => ({ sequenceNumber: i, offset: String(i), enqueuedTimeUtc: '', body: Buffer.from(JSON.stringify({ records: [auditRecord(`f-${i}`)] })) }));
    await container.getBlockBlobClient(name).uploadData(await writeCapture(bodies));
    const lander: Lander = { kind: 'down', land: () => Promise.reject(new Error('sink down')) };
    const logged: unknown[] = [];
    // Watch the download stream the replay opens.
    const streams: NodeJS.ReadableStream[] = [];
    const watched = new Proxy(blobs, {
      get: (t, k) => k !== 'getContainerClient' ? Reflect.get(t, k) : (c: string) => {
        const cc = t.getContainerClient(c);
        return new Proxy(cc, { get: (t2, k2) => k2 !== 'getBlobClient' ? Reflect.get(t2, k2) : (b: string) => {
          const bc = t2.getBlobClient(b);
          return new Proxy(bc, { get: (t3, k3) => k3 !== 'download' ? Reflect.get(t3, k3) : async (...a: Parameters<typeof bc.download>) => {
            const r = await t3.download(...a);
            if (r.readableStreamBody) streams.push(r.readableStreamBody);
            return r;
          } });
        } });
      },
    });
    const res = await handleEventGrid(post(captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '0', [0, 5])), ctx(logged), async () => ({ config, blobs: watched, lander, policy: defaultPolicy('aks'), batchSize: 2 }));
    expect(res.status).toBe(500);
    expect(logged.join('\n')).toContain('sink down');
    expect(logged.join('\n')).not.toContain('cannot decode');
    expect(streams).toHaveLength(1);
    expect((streams[0] as NodeJS.ReadableStream & { destroyed: boolean }).destroyed).toBe(true);
  });

  it('a landing that fails is a 500 whose log carries no SAS signature', async () => {
    const { config, blobs, container } = await captureStore();
    const name = 'ns1/aks-diagnostics/0/2025/04/20/11/00/00.avro';
    await container.getBlockBlobClient(name).uploadData(await writeCapture([{ sequenceNumber: 1, offset: '0', enqueuedTimeUtc: '', body: Buffer.from(JSON.stringify({ records: [auditRecord('s-1')] })) }], 'null'));
    const lander: Lander = { kind: 'down', land: () => Promise.reject(new Error('PUT https://acct.blob.core.windows.net/c/b?sv=2024&sig=SECRET42 failed')) };
    const logged: unknown[] = [];
    const res = await handleEventGrid(post(captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '0', [1, 1])), ctx(logged), async () => ({ config, blobs, lander, policy: defaultPolicy('aks') }));
    expect(res.status).toBe(500);
    expect(logged.join('\n')).toContain('sig=REDACTED failed');
    expect(logged.join('\n')).not.toContain('SECRET42');
  });

  it('routes a capture of the webhook hub through the webhook path (CloudEvents schema)', async () => {
    const { config, blobs, container } = await captureStore();
    const message = { type: WEBHOOK_MESSAGE_TYPE, source: 'falco', cluster: 'lab', receivedTime: '2025-04-20T10:01:03Z', events: [falcoSample] };
    const name = 'ns1/webhook-events/0/2025/04/20/10/01/00.avro';
    await container.getBlockBlobClient(name).uploadData(await writeCapture([{ sequenceNumber: 1, offset: '0', enqueuedTimeUtc: '', body: Buffer.from(JSON.stringify(message)) }], 'null'));
    const lander = memoryLander();
    const cloudEvent = {
      specversion: '1.0', id: 'c1', type: 'Microsoft.EventHub.CaptureFileCreated', source: '/subscriptions/0000/resourcegroups/rg/providers/Microsoft.EventHub/namespaces/ns1',
      subject: 'eventhubs/webhook-events', time: '2025-04-20T10:05:00Z', data: captureEvent(`${container.url}/${name}`, 'webhook-events', '0', [1, 1])[0]!.data,
    };
    const res = await handleEventGrid(post(cloudEvent), ctx(), async () => ({ config, blobs, lander, policy: defaultPolicy('aks') }));
    expect(res.status).toBe(200);
    expect(lander.batches[0]!.result.detections[0]).toMatchObject({ Source: 'falco', Rule: 'Terminal shell in container', Operation: 'Process' });
  });

  it('refuses a fileUrl outside the capture container or account, or naming no blob (400, nothing fetched: a retry cannot mend it)', async () => {
    const { config, blobs } = await captureStore();
    const lander = memoryLander();
    const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander, policy: defaultPolicy('aks') });
    for (const url of [`${blobs.url}/landing/x.avro`, 'https://evil.example/capture/x.avro', `${blobs.url}/capture/../landing/x.avro`]) {
      const res = await handleEventGrid(post(captureEvent(url, 'aks-diagnostics')), ctx(), deps);
      expect(res.status, url).toBe(400);
    }
    const missing = await handleEventGrid(post(captureEvent(`${blobs.url}/capture/ns1/aks-diagnostics/0/none.avro`, 'aks-diagnostics')), ctx(), deps);
    expect(missing).toMatchObject({ status: 400, jsonBody: { error: "0.data.fileUrl: no blob 'ns1/aks-diagnostics/0/none.avro' in container 'capture'" } });
    expect(lander.batches).toHaveLength(0);
  });

  it('a delivery with one bad event is refused whole before anything is replayed; a bad %-escape is a 400, not a 500', async () => {
    const { config, blobs, container } = await captureStore();
    const name = 'ns1/aks-diagnostics/3/2025/04/20/10/00/00.avro';
    await container.getBlockBlobClient(name).uploadData(await writeCapture([{ sequenceNumber: 1, offset: '1', enqueuedTimeUtc: '4/20/2025 10:00:00 AM', body: Buffer.from(JSON.stringify({ records: [auditRecord('g-1')] })) }]));
    const good = captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '2', [1, 1])[0]!;
    const lander = memoryLander();
    const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander, policy: defaultPolicy('aks') });
    const cases: [unknown, RegExp][] = [
      [{ ...good, id: 'e2', data: { ...good.data, fileUrl: 'not a url' } }, /^1\.data\.fileUrl: /],
      [{ ...good, id: 'e3', data: { ...good.data, fileUrl: `${container.url}/ns1/aks-diagnostics/%E0%A4%A` } }, /^1\.data\.fileUrl: fileUrl is not a blob/],
      [{ ...good, id: 'e4', data: { ...good.data, fileUrl: `${blobs.url}/landing/x.avro` } }, /^1\.data\.fileUrl: /],
      [{ ...good, id: 'e5', data: { ...good.data, fileUrl: `${container.url}/ns1/aks-diagnostics/3/gone.avro` } }, /^1\.data\.fileUrl: no blob /],
      // A count no file can meet is refused, not retried for a day.
      [{ ...good, id: 'e6', data: { ...good.data, eventCount: 1e308 } }, /^1\.data\.eventCount: Too big/],
      [{ ...good, id: 'e7', data: { ...good.data, lastSequenceNumber: 2.5 } }, /^1\.data\.lastSequenceNumber: .*expected int/],
    ];
    for (const [bad, message] of cases) {
      const res = await handleEventGrid(post([good, bad]), ctx(), deps);
      expect(res.status).toBe(400);
      expect((res.jsonBody as { error: string }).error).toMatch(message);
    }
    expect(lander.batches).toHaveLength(0);
    // The good event alone still replays.
    expect((await handleEventGrid(post([good]), ctx(), deps)).status).toBe(200);
    expect(lander.batches.flatMap((b) => b.result.rows.AksAudit.map((r) => r.AuditId))).toEqual(['g-1']);
  });

  it('ignores other event types and rejects malformed deliveries', async () => {
    const other = await handleEventGrid(post([{ id: 'x', subject: 's', eventType: 'Microsoft.Storage.BlobCreated', eventTime: '2025-04-20T10:00:00Z', data: {} }]), ctx());
    expect(other).toMatchObject({ status: 200, jsonBody: { replayed: [], ignored: 1 } });
    const bad = await handleEventGrid(post([{ nope: true }]), ctx());
    expect(bad.status).toBe(400);
  });
});

describe('Event Grid endpoint: its settings, lander and clients', () => {
  afterEach(() => vi.unstubAllEnvs());
  it('are built once per worker, not per delivery (a lander per request was never closed); a failure is not kept', async () => {
    const { defaultDeps } = await import('../functions/triggers/eventGrid.js');
    vi.stubEnv('KUBESIFT_STORAGE_CONNECTION', '');
    vi.stubEnv('KUBESIFT_STORAGE_ACCOUNT', '');
    await expect(defaultDeps()).rejects.toThrow(/no storage configured/);
    // Nothing is connected to build them: a well-formed local connection string will do.
    vi.stubEnv('KUBESIFT_STORAGE_CONNECTION', 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;');
    const first = await defaultDeps();
    expect(await defaultDeps()).toBe(first);
    expect((await defaultDeps()).lander).toBe(first.lander);
  });
});
