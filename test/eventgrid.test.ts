import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import functions from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { useAzurite } from './support/azurite.js';
import { loadConfig } from '../functions/config.js';
import { DEFAULT_CHUNK_RECORDS } from '../functions/pipeline.js';
import { defaultPolicy } from '../functions/detect/index.js';
import type { BatchResult, LandReport, Lander } from '../functions/contracts.js';
import type { ContainerClient } from '@azure/storage-blob';
import { writeCapture, readCapture, type CaptureInput } from '../functions/capture/avro.js';
import { handleEventGrid } from '../functions/triggers/eventGrid.js';
import { REPLAY_BATCH_EVENTS, type ReplayDeps, type ReplayReport } from '../functions/capture/replay.js';
import { createLander } from '../functions/land/index.js';
import { deadLetterFileSchema, lettersOf, type DeadLetterBlob } from '../functions/land/deadLetters.js';
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

/**
 * Blocks of one event each under one header, so a test can damage chosen blocks: each event
 * written alone, its block taken out (the bytes after its header) and given the header's marker.
 */
async function blockKit(seqs: number[]): Promise<{ header: Buffer; blocks: Buffer[]; empty: Buffer }> {
  const event = (n: number): CaptureInput => ({ sequenceNumber: n, offset: String(n * 100), enqueuedTimeUtc: '4/20/2025 10:00:00 AM', body: Buffer.from(JSON.stringify({ records: [auditRecord(`d-${n}`)] })) });
  const split = (file: Buffer) => {
    const sync = file.subarray(file.length - 16);
    return { sync, header: file.subarray(0, file.indexOf(sync) + 16) };
  };
  const { sync, header } = split(await writeCapture([event(0)], 'null'));
  const blocks: Buffer[] = [];
  for (const n of seqs) {
    const file = await writeCapture([event(n)], 'null');
    blocks.push(Buffer.concat([file.subarray(split(file).header.length, file.length - 16), sync]));
  }
  // Object count 0 and byte size 0 (zig-zag), which the Avro spec allows.
  return { header, blocks, empty: Buffer.concat([Buffer.from([0, 0]), sync]) };
}

/** The dead letters a DeadLetterStore wrote to `container`. */
async function deadLettersIn(container: ContainerClient): Promise<DeadLetterBlob[]> {
  const out: DeadLetterBlob[] = [];
  if (!(await container.exists())) return out;
  for await (const item of container.listBlobsFlat()) out.push(...lettersOf(deadLetterFileSchema.parse(JSON.parse((await container.getBlobClient(item.name).downloadToBuffer()).toString('utf8')))));
  return out;
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
    expect(await handleEventGrid(raw(bad), ctx())).toMatchObject({ status: 400, jsonBody: { error: 'body: not valid UTF-8', field: 'body' } });
  });

  it("a 400 names the field of the schema the event claims, with the event's index, in the message and as `field` (as the other routes do)", async () => {
    const cloud = { specversion: '1.0', id: 'c1', type: 'Microsoft.EventHub.CaptureFileCreated', subject: 'eventhubs/aks-diagnostics', data: {} };
    expect(await handleEventGrid(post([cloud]), ctx())).toMatchObject({ status: 400, jsonBody: { error: '0.source: missing, expected string', field: '0.source' } });
    const grid = { id: 'g1', subject: '', data: {} };
    expect(await handleEventGrid(post([grid]), ctx())).toMatchObject({ status: 400, jsonBody: { error: '0.eventType: missing, expected string', field: '0.eventType' } });
    const notJson = new functions.HttpRequest({ method: 'POST', url: 'http://localhost/api/eventgrid', body: { string: 'not json' } });
    expect(await handleEventGrid(notJson, ctx())).toMatchObject({ status: 400, jsonBody: { error: 'body: not valid JSON', field: 'body' } });
    const handshake = { id: 'v', topic: 't', subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: '2025-04-20T10:00:00Z', dataVersion: '2', data: {} };
    const other = { id: 'o', subject: '', eventType: 'Some.Other.Event', data: {} };
    expect(await handleEventGrid(post([handshake]), ctx())).toMatchObject({ status: 400, jsonBody: { error: '0.data.validationCode: missing, expected string', field: '0.data.validationCode' } });
    expect(await handleEventGrid(post([{ ...handshake, data: { validationCode: 7 } }]), ctx())).toMatchObject({ status: 400, jsonBody: { error: '0.data.validationCode: expected string', field: '0.data.validationCode' } });
    // The handshake comes alone: answered beside other events, they were dropped with a 200.
    const answerable = { ...handshake, data: { validationCode: 'code-1' } };
    expect(await handleEventGrid(post([other, answerable]), ctx())).toMatchObject({ status: 400, jsonBody: { error: expect.stringMatching(/^1: a Microsoft\.EventGrid\.SubscriptionValidationEvent comes alone, not with 1 other event/), field: '1' } });
    // A capture event must name its partition: positions, batch keys and dedupe hang on it.
    const { partitionId: _p, ...noPartition } = captureEvent('https://acct.blob.core.windows.net/capture/x.avro', 'aks-diagnostics')[0]!.data;
    expect(await handleEventGrid(post([{ ...captureEvent('', '')[0]!, data: noPartition }]), ctx())).toMatchObject({ status: 400, jsonBody: { error: '0.data.partitionId: missing, expected string', field: '0.data.partitionId' } });
  });

  it('answers the CloudEvents OPTIONS handshake and refuses one without an origin', async () => {
    const ok = await handleEventGrid(new functions.HttpRequest({ method: 'OPTIONS', url: 'http://localhost/api/eventgrid', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } }), ctx());
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({ 'WebHook-Allowed-Origin': 'eventgrid.azure.net' });
    const bad = await handleEventGrid(new functions.HttpRequest({ method: 'OPTIONS', url: 'http://localhost/api/eventgrid' }), ctx());
    expect(bad).toMatchObject({ status: 400, jsonBody: { error: 'WebHook-Request-Origin: header required', field: 'WebHook-Request-Origin' } });
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

  });

  it('a damaged file lands every event it can read (the batch before the damage too) and keeps the damaged bytes as dead letters; posting it again adds nothing', async () => {
    const { config, blobs, container } = await captureStore();
    const { header, blocks: b, empty } = await blockKit([11, 12, 13, 14, 15, 16, 17, 18]);
    const undecodable = Buffer.from(b[3]!);
    undecodable.fill(0xff, 4, undecodable.length - 16); // count, size (3 bytes) and sync marker kept: this block only
    const badSync = Buffer.from(b[5]!);
    badSync.fill(0, badSync.length - 16); // no marker: damage up to the next one, block 17's
    const parts = [header, b[0]!, b[1]!, empty, b[2]!, undecodable, b[4]!, badSync, b[6]!, b[7]!];
    const file = Buffer.concat(parts);
    const offsetOf = (i: number) => Buffer.concat(parts.slice(0, i)).length;
    const name = 'ns1/aks-diagnostics/2/2025/04/20/13/00/00.avro';
    await container.getBlockBlobClient(name).uploadData(file);

    const real = createLander('blob', { config, blobService: blobs });
    const keys: string[] = [];
    const lander: Lander = { kind: real.kind, land: (result, key, opts) => (keys.push(key), real.land(result, key, opts)) };
    const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander, policy: defaultPolicy('aks'), batchSize: 2 });
    const delivery = () => post(captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '2', [11, 18]));
    const res = await handleEventGrid(delivery(), ctx(), deps);
    expect(res.status).toBe(200);
    const [report] = (res.jsonBody as { replayed: ReplayReport[] }).replayed;
    expect(report).toMatchObject({ events: 5, deadLetters: 2, unreadableBytes: undecodable.length + badSync.length + b[6]!.length, rows: { AksAudit: 5 } });

    // Every event read landed: 13 and 15 in batches cut at the damage after them.
    const landing = blobs.getContainerClient(config.KUBESIFT_LANDING_CONTAINER);
    const landed = async () => {
      const names: string[] = [];
      for await (const item of landing.listBlobsFlat({ prefix: 'AksAudit/' })) names.push(item.name);
      return names;
    };
    const audit = await landed();
    const ids = (await Promise.all(audit.filter((n) => n.endsWith('.gz')).map(async (n) => gunzipSync(await landing.getBlobClient(n).downloadToBuffer()).toString('utf8'))))
      .flatMap((text) => text.trim().split('\n').map((line) => (JSON.parse(line) as { Event: { auditID: string } }).Event.auditID));
    expect(ids.sort()).toEqual(['d-11', 'd-12', 'd-13', 'd-15', 'd-18']);

    // The damaged bytes, exactly, with where they were and the last event read before them.
    const letters = await deadLettersIn(blobs.getContainerClient(config.KUBESIFT_DEADLETTER_CONTAINER));
    const unreadable = letters.filter((l) => l.reason === 'capture-block-unreadable').sort((x, y) => x.position.sequenceNumber - y.position.sequenceNumber);
    expect(unreadable.map((l) => [l.position, Buffer.from(l.rawBase64!, 'base64')])).toEqual([
      [{ source: 'aks-diagnostics', partitionId: '2', sequenceNumber: 13, offset: '1300', index: -1 }, undecodable],
      [{ source: 'aks-diagnostics', partitionId: '2', sequenceNumber: 15, offset: '1500', index: -1 }, Buffer.concat([badSync, b[6]!])],
    ]);
    expect(unreadable[0]!.detail).toMatch(`capture/${name}: bytes ${offsetOf(5)}-${offsetOf(6) - 1} of the file, after sequence number 13: record 1 of 1: `);
    expect(unreadable[1]!.detail).toMatch(/after sequence number 15: a block not followed by the sync marker$/);

    // Posted again (an Event Grid retry): the same batches under the same keys, nothing new written.
    const before = { audit, letters: letters.length };
    const first = [...keys];
    keys.length = 0;
    const again = await handleEventGrid(delivery(), ctx(), deps);
    expect(again.status).toBe(200);
    expect(keys).toEqual(first);
    const landedFirst = Object.values(report!.rows).reduce((a, n) => a + n, 0);
    expect((again.jsonBody as { replayed: ReplayReport[] }).replayed[0]).toMatchObject({ rows: { AksAudit: 0 }, duplicatesSkipped: landedFirst });
    expect({ audit: await landed(), letters: (await deadLettersIn(blobs.getContainerClient(config.KUBESIFT_DEADLETTER_CONTAINER))).length }).toEqual(before);
    await real.close();
  });

  it('damage and a cut at once: a 500 for the cut, and a retry with the whole file lands the rest and nothing twice', async () => {
    const { config, blobs, container } = await captureStore();
    const { header, blocks: b } = await blockKit([21, 22, 23, 24, 25]);
    const garbled = Buffer.from(b[1]!);
    garbled.fill(0xff, 4, garbled.length - 16);
    const whole = Buffer.concat([header, b[0]!, garbled, b[2]!, b[3]!, b[4]!]);
    const name = 'ns1/aks-diagnostics/2/2025/04/20/14/00/00.avro';
    const blob = container.getBlockBlobClient(name);
    const lander = memoryLander();
    const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander, policy: defaultPolicy('aks'), batchSize: 3 });
    const delivery = () => post(captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '2', [21, 25]));

    await blob.uploadData(whole.subarray(0, whole.length - 5));
    const logged: unknown[] = [];
    expect((await handleEventGrid(delivery(), ctx(logged), deps)).status).toBe(500);
    expect(logged.join('\n')).toContain('holds events up to sequence number 24, not 25: the file or its download is cut');
    // 21 (its batch cut at the damage) and the damaged block landed; 23-24, short of a batch, wait.
    const firstKeys = lander.batches.map((x) => x.key);
    expect(lander.batches.map((x) => [x.result.rows.AksAudit.map((r) => r.AuditId), x.result.deadLetters.map((d) => d.reason)])).toEqual([[['d-21'], []], [[], ['capture-block-unreadable']]]);

    await blob.uploadData(whole);
    expect((await handleEventGrid(delivery(), ctx(), deps)).status).toBe(200);
    expect(lander.batches.slice(2).map((x) => x.key).slice(0, 2)).toEqual(firstKeys);
    expect(lander.batches.slice(4).map((x) => x.result.rows.AksAudit.map((r) => r.AuditId))).toEqual([['d-23', 'd-24', 'd-25']]);
  });

  it("a file whose header is no Capture file's is a 400 naming the delivery's event, the blob and why: a retry cannot mend it", async () => {
    const { config, blobs, container } = await captureStore();
    const renamed = await writeCapture([{ sequenceNumber: 1, offset: '1', enqueuedTimeUtc: '', body: Buffer.from('{"records":[]}') }], 'null');
    renamed.write('XXXX', renamed.indexOf('SequenceNumber'));
    const name = 'ns1/aks-diagnostics/2/2025/04/20/15/00/00.avro';
    await container.getBlockBlobClient(name).uploadData(renamed);
    const other = { id: 'o', subject: 's', eventType: 'Microsoft.Storage.BlobCreated', eventTime: '2025-04-20T10:00:00Z', data: {} };
    const lander = memoryLander();
    const res = await handleEventGrid(post([other, ...captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '2', [1, 1])]), ctx(), async () => ({ config, blobs, lander, policy: defaultPolicy('aks') }));
    expect(res).toMatchObject({ status: 400, jsonBody: { error: `1.data.fileUrl: capture/${name}: cannot decode past event 0: not an Event Hubs Capture file: its records have no SequenceNumber` } });
    expect(lander.batches).toHaveLength(0);
  });

  it('a 400 for a capture event names its index in the delivery, not among the capture events', async () => {
    const { config, blobs, container } = await captureStore();
    const other = { id: 'o', subject: 's', eventType: 'Microsoft.Storage.BlobCreated', eventTime: '2025-04-20T10:00:00Z', data: {} };
    const good = captureEvent(`${container.url}/ns1/aks-diagnostics/2/none.avro`, 'aks-diagnostics')[0]!;
    const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander: memoryLander(), policy: defaultPolicy('aks') });
    const badCount = await handleEventGrid(post([other, { ...good, data: { ...good.data, eventCount: 2.5 } }]), ctx(), deps);
    expect((badCount.jsonBody as { error: string }).error).toMatch(/^1\.data\.eventCount: /);
    const missing = await handleEventGrid(post([other, other, good]), ctx(), deps);
    expect((missing.jsonBody as { error: string }).error).toBe("2.data.fileUrl: no blob 'ns1/aks-diagnostics/2/none.avro' in container 'capture'");
  });

  it(`replays in batches of host.json's maxEventBatchSize (${REPLAY_BATCH_EVENTS}) unless told otherwise, as the live trigger cuts them`, async () => {
    const { config, blobs, container } = await captureStore();
    const host = JSON.parse(readFileSync(new URL('../host.json', import.meta.url), 'utf8')) as { extensions: { eventHubs: { maxEventBatchSize: number } } };
    expect(REPLAY_BATCH_EVENTS).toBe(host.extensions.eventHubs.maxEventBatchSize);
    const name = 'ns1/aks-diagnostics/2/2025/04/20/16/00/00.avro';
    await container.getBlockBlobClient(name).uploadData(await writeCapture(Array.from({ length: 150 }, (_, n) => ({ sequenceNumber: n, offset: String(n), enqueuedTimeUtc: '', body: Buffer.from('{"records":[]}') }))));
    const lander = memoryLander();
    const res = await handleEventGrid(post(captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '2', [0, 149])), ctx(), async () => ({ config, blobs, lander, policy: defaultPolicy('aks') }));
    expect(res.status).toBe(200);
    expect(lander.batches.map((x) => /^aks-diagnostics-2-(\d+)-(\d+)-/.exec(x.key)?.slice(1))).toEqual([['0', '99'], ['100', '149']]);
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
    const good = captureEvent(`${container.url}/${name}`, 'aks-diagnostics', '3', [1, 1])[0]!;
    const lander = memoryLander();
    const deps = async (): Promise<ReplayDeps> => ({ config, blobs, lander, policy: defaultPolicy('aks') });
    const cases: [unknown, RegExp][] = [
      // The file's default name says hub and partition: an event that disagrees would key the
      // rows elsewhere (the whole file landed again) or send them down the other hub's path.
      [{ ...good, id: 'e8', data: { ...good.data, partitionId: '2' } }, /^1\.data\.partitionId: '2', but the file ns1\/aks-diagnostics\/3\/2025\/04\/20\/10\/00\/00\.avro is partition 3's$/],
      [{ ...good, id: 'e9', subject: 'eventhubs/webhook-events' }, /^1\.subject: names event hub 'webhook-events', but the file ns1\/aks-diagnostics\/3\/.*\.avro is hub aks-diagnostics's$/],
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
