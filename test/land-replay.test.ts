// `sift replay` of record-level dead letters, against Azurite: replays converge (a record that
// fails the same way again is neither landed again nor dead-lettered again), and a replayed
// record keeps its place in its original body. The sink models ADX's ingestIfNotExists rule
// (a tag lands once); the queued sink's real client is covered by land-queued/land-faults.
import { describe, expect, it } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { DeadLetter, EventInput } from '../functions/contracts.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { CAPTURE_BLOCK_UNREADABLE, DeadLetterStore, REPLAYED_METADATA, type DeadLetterBlob } from '../functions/land/deadLetters.js';
import { makeLander } from '../functions/land/lander.js';
import type { TablePayload } from '../functions/land/payload.js';
import { replayDeadLetters, replayKey } from '../functions/land/replay.js';
import type { TableSink } from '../functions/land/sink.js';
import { batchKey, processEventChunks, processEvents, wholeBatch } from '../functions/pipeline.js';
import { useAzurite } from './support/azurite.js';
import { WEBHOOK_MESSAGE_TYPE } from '../functions/webhooks/message.js';
import { processWebhookEvents } from '../functions/webhooks/process.js';
import { auditEvent, diagRecord } from './support/records.js';
import { deadLettersIn } from './support/landing.js';

const azurite = useAzurite();
const policy = defaultPolicy('aks');
const NOW = new Date('2025-01-02T04:00:00Z');

/** A tag lands once, as with ingestIfNotExists; every landing is recorded. */
function taggedSink(): TableSink & { landed: { tag: string; table: string; rows: number; ndjson: string }[] } {
  const tags = new Set<string>();
  const landed: { tag: string; table: string; rows: number; ndjson: string }[] = [];
  return {
    kind: 'model',
    landed,
    async put(p: TablePayload) {
      if (tags.has(p.tag)) return 'duplicate';
      tags.add(p.tag);
      landed.push({ tag: p.tag, table: p.table, rows: p.rows, ndjson: p.ndjson.toString('utf8') });
      return 'landed';
    },
  };
}

function rig(name: string, clock: () => Date = () => NOW) {
  const service = BlobServiceClient.fromConnectionString(azurite.current.connectionString);
  const sink = taggedSink();
  const store = new DeadLetterStore(service, name, clock);
  // Another lander over the same dead-letter store, its tables put by `put` (a sink that fails).
  const landerWith = (put: TableSink['put']) => makeLander({ kind: 'other', put }, store, { retries: 0, baseMs: 1, timeoutMs: 10_000 });
  return { sink, lander: makeLander(sink, store, { retries: 0, baseMs: 1, timeoutMs: 10_000 }), landerWith, store, container: service.getContainerClient(name) };
}

const sinkDown: TableSink['put'] = () => Promise.reject(new Error('sink down'));

const body = (records: unknown[]): EventInput => ({ body: JSON.stringify({ records }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 7, offset: '700' } });

describe('sift replay of record-level dead letters', () => {
  it('replayKey adds one .replay however often a key was replayed', () => {
    expect(replayKey('aks-0-1-2-ab')).toBe('aks-0-1-2-ab.replay');
    expect(replayKey('aks-0-1-2-ab.replay')).toBe('aks-0-1-2-ab.replay');
    expect(replayKey('aks-0-1-2-ab.replay.replay')).toBe('aks-0-1-2-ab.replay');
  });

  it('a record truncated for good lands its salvaged row once, in its own batch; replays leave it there and converge', async () => {
    const { sink, lander, container } = rig('dl-truncated');
    const cut = JSON.stringify(auditEvent({ auditID: 'cut-0001', requestObject: { data: { k: 'x'.repeat(17_000) } } })).slice(0, 16_384);
    const events = [body([diagRecord('kube-audit', cut), diagRecord('kube-audit', JSON.stringify(auditEvent({ auditID: 'whole-0001' })))])];
    const key = batchKey(events);
    await lander.land(processEvents(events, { policy, now: NOW }), key);
    const audit = () => sink.landed.filter((l) => l.table === 'AksAudit');
    expect(audit()).toEqual([expect.objectContaining({ tag: `${key}/AksAudit`, rows: 2 })]);
    expect((await deadLettersIn(container)).map((b) => b.doc.reason)).toEqual(['truncated-audit']);

    for (let run = 1; run <= 3; run++) {
      const r = await replayDeadLetters(container, { lander, policy, now: () => NOW });
      // The first run finds the one dead letter, fails it the same way, marks it; later runs find nothing new.
      expect(r, `run ${run}`).toMatchObject(run === 1 ? { blobs: 1, replayedBlobs: 1, deadLettersAgain: 1, rows: 0 } : { blobs: 1, alreadyReplayed: 1, batches: 0 });
    }
    // No second copy of the salvaged row, no new dead-letter blobs.
    expect(audit()).toHaveLength(1);
    expect(await deadLettersIn(container)).toEqual([expect.objectContaining({ replayed: true, doc: expect.objectContaining({ reason: 'truncated-audit', batchKey: key }) })]);
  });

  it('replayed records keep their index: two records of one body land as two rows with their own Positions', async () => {
    const { sink, lander, container } = rig('dl-index');
    await container.createIfNotExists();
    // One blob per record, as versions before packing wrote them (still replayed): records 3 and 5
    // of one body, set aside (here: a detector failure fixed since).
    const line = (n: number) => diagRecord('kube-scheduler', `I0102 03:00:0${n}.000000       1 sched.go:1] scheduled pod-${n}`, { time: '2025-01-02T03:00:00.0000000Z' });
    for (const index of [3, 5]) {
      const doc: DeadLetterBlob = { kind: 'record', batchKey: 'aks-0-7-7-abc', reason: 'detect-error', detail: 'x', position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 7, offset: '700', index }, raw: JSON.stringify(line(index)), writtenAt: NOW.toISOString() };
      const text = JSON.stringify(doc);
      await container.getBlockBlobClient(`2025/01/02/aks-0-7-7-abc/${index}.json`).upload(text, Buffer.byteLength(text));
    }
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(r).toMatchObject({ blobs: 2, replayedBlobs: 2, deadLettersAgain: 0, rows: 2 });
    const cp = sink.landed.filter((l) => l.table === 'AksControlPlane');
    expect(cp.map((l) => l.tag)).toEqual([expect.stringMatching(/^aks-diagnostics-0-7-7-[0-9a-f]{16}\.replay\/AksControlPlane$/)]);
    const rows = cp[0]!.ndjson.trim().split('\n').map((l) => JSON.parse(l) as { Position: string; LogMessage: string });
    expect(rows.map((x) => [x.Position, x.LogMessage])).toEqual([['0/7/3', 'scheduled pod-3'], ['0/7/5', 'scheduled pod-5']]);
  });

  it('an item that names no cluster replays under the default cluster the trigger gave it', async () => {
    const { sink, lander, container } = rig('dl-default-cluster');
    await container.createIfNotExists();
    // A bare audit Event on the AKS hub (no resourceId): the trigger lands it under KUBESIFT_DEFAULT_CLUSTER.
    const doc: DeadLetterBlob = { kind: 'record', batchKey: 'aks-0-8-8-abc', reason: 'detect-error', detail: 'x', position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 8, offset: '800', index: 0 }, raw: JSON.stringify(auditEvent({ auditID: 'bare-1' })), writtenAt: NOW.toISOString() };
    const text = JSON.stringify(doc);
    await container.getBlockBlobClient('2025/01/02/aks-0-8-8-abc/0.json').upload(text, Buffer.byteLength(text));
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW, defaultCluster: 'lab' });
    expect(r).toMatchObject({ replayedBlobs: 1, deadLettersAgain: 0 });
    const audit = sink.landed.filter((l) => l.table === 'AksAudit').map((l) => JSON.parse(l.ndjson) as { Cluster: string });
    expect(audit.map((x) => x.Cluster)).toEqual(['lab']);
  });

  it("a klog line whose record has no time takes its year from the batch's enqueued time, not the replay's day", async () => {
    const { sink, lander, container } = rig('dl-klog-year');
    await container.createIfNotExists();
    // No record time: the header (March 1) takes the year of the batch clock, as the trigger gave it.
    const line = { category: 'kube-scheduler', resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/PROD1', properties: { log: 'I0301 10:00:01.000100       1 sched.go:1] scheduled pod-1\n', pod: 'kube-scheduler-1', stream: 'stderr' } };
    const position = { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 11, offset: '1100', enqueuedTime: '2021-04-20T10:00:00.000Z' };
    expect(processEvents([{ body: JSON.stringify({ records: [line] }), position }], { policy, now: new Date(position.enqueuedTime) }).rows.AksControlPlane[0]!.TimeGenerated).toMatch(/^2021-03-01T10:00:01/);
    const doc: DeadLetterBlob = { kind: 'record', batchKey: 'aks-0-11-11-abc', reason: 'detect-error', detail: 'x', position: { ...position, index: 0 }, raw: JSON.stringify(line), writtenAt: NOW.toISOString() };
    const text = JSON.stringify(doc);
    await container.getBlockBlobClient('2021/04/20/aks-0-11-11-abc/0.json').upload(text, Buffer.byteLength(text));
    // No `now`: as `sift replay` runs it.
    const r = await replayDeadLetters(container, { lander, policy });
    expect(r).toMatchObject({ replayedBlobs: 1, deadLettersAgain: 0, rows: 1 });
    const rows = sink.landed.filter((l) => l.table === 'AksControlPlane').map((l) => JSON.parse(l.ndjson) as { TimeGenerated: string });
    expect(rows.map((x) => x.TimeGenerated.slice(0, 10))).toEqual(['2021-03-01']);
  });

  it('a blob that is not a dead letter is named and left alone; the others still replay', async () => {
    const { sink, lander, container } = rig('dl-foreign');
    await container.createIfNotExists();
    const line = diagRecord('kube-scheduler', 'I0102 03:00:01.000000       1 sched.go:1] scheduled pod-1', { time: '2025-01-02T03:00:00.0000000Z' });
    const good: DeadLetterBlob = { kind: 'record', batchKey: 'aks-0-9-9-abc', reason: 'detect-error', detail: 'x', position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 9, offset: '900', index: 1 }, raw: JSON.stringify(line), writtenAt: NOW.toISOString() };
    const put = (name: string, text: string) => container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
    await put('2025/01/02/aks-0-9-9-abc/1.json', JSON.stringify(good));
    await put('2025/01/02/cut.json', JSON.stringify(good).slice(0, 40));
    await put('notes/other.json', JSON.stringify({ ...good, position: undefined }));
    const log: string[] = [];
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW, log: (l) => log.push(l) });
    expect(r).toMatchObject({ blobs: 3, unreadable: 2, replayedBlobs: 1, rows: 1, failedBatches: 0 });
    expect(sink.landed.map((l) => l.tag)).toEqual([expect.stringMatching(/^aks-diagnostics-0-9-9-[0-9a-f]{16}\.replay\/AksControlPlane$/)]);
    expect(log.join('\n')).toMatch(/2025\/01\/02\/cut\.json: not a dead letter \(not JSON/);
    expect(log.join('\n')).toMatch(/notes\/other\.json: not a dead letter \(position/);
    const marked = [];
    for await (const b of container.listBlobsFlat({ includeMetadata: true })) marked.push([b.name, Boolean(b.metadata?.[REPLAYED_METADATA])]);
    expect(marked).toEqual([['2025/01/02/aks-0-9-9-abc/1.json', true], ['2025/01/02/cut.json', false], ['notes/other.json', false]]);
  });
});

/** `container`, where downloading a blob whose name contains `part` fails (a reset connection, a blob too large to read as text). */
function failingDownloads(container: ContainerClient, part: string): ContainerClient {
  return new Proxy(container, {
    get(target, prop, receiver) {
      if (prop !== 'getBlobClient') return Reflect.get(target, prop, receiver);
      return (name: string) => {
        const client = target.getBlobClient(name);
        if (!name.includes(part)) return client;
        return Object.assign(Object.create(client) as typeof client, { downloadToBuffer: () => Promise.reject(new Error('read ECONNRESET https://a/c?sv=1&sig=SECRET9')) });
      };
    },
  });
}

/** `container`, where the first metadata write of the blob whose name ends in `suffix` fails (503). */
function markingFailsOnce(container: ContainerClient, suffix: string): ContainerClient {
  let failures = 1;
  return new Proxy(container, {
    get(target, prop) {
      if (prop !== 'getBlobClient') return Reflect.get(target, prop, target);
      return (name: string) => {
        const blob = target.getBlobClient(name);
        if (!name.endsWith(suffix)) return blob;
        return Object.assign(Object.create(blob) as typeof blob, { setMetadata: (m: Record<string, string>) => (failures-- > 0 ? Promise.reject(new Error('503 ServerBusy')) : blob.setMetadata(m)) });
      };
    },
  });
}

describe('sift replay: order, keys and what it cannot read', () => {
  const schedLine = (i: number) => diagRecord('kube-scheduler', `I0102 03:00:01.000000 1 s.go:1] line ${i}`, { time: '2025-01-02T03:00:00.0000000Z' });
  const letter = (i: number, over: Partial<DeadLetter> = {}): DeadLetter => ({
    reason: 'detect-error', detail: 'fixed since', position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 9, offset: '900', index: i }, raw: JSON.stringify(schedLine(i)), ...over,
  });

  it('a batch of more than ten bodies replays in its own order: the chunks land under the trigger\'s keys, nothing twice', async () => {
    const { sink, lander, container, store } = rig('dl-order');
    // 12 bodies (event-0 … event-11: a listing puts event-10 before event-2), two chunks.
    const events = Array.from({ length: 12 }, (_, b) => ({ body: JSON.stringify({ records: Array.from({ length: 400 }, (_, i) => schedLine(b * 1000 + i)) }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 60 + b, offset: String(b) } }));
    const trigger = [...processEventChunks(events, { policy, now: NOW })].map((c) => batchKey(c.events));
    expect(trigger.length).toBe(2);
    // The trigger landed its first chunk before the batch was set aside.
    await lander.land(wholeBatch(processEventChunks(events.slice(0, 10), { policy, now: NOW }, Infinity)), trigger[0]!);
    await store.writeEvents(batchKey(events), events, 'land-failed', 'sink down');
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(r).toMatchObject({ batches: 1, replayedBlobs: 12, failedBatches: 0, records: 4800, rows: 800 });
    expect(sink.landed.map((l) => [l.tag, l.rows])).toEqual([[`${trigger[0]}/AksControlPlane`, 4000], [`${trigger[1]}/AksControlPlane`, 800]]);
  });

  it('8,000 record letters of one body land as 8,000 rows: chunks of one body get keys of their own', async () => {
    const { sink, lander, container, store } = rig('dl-one-body');
    await store.writeRecords('aks-0-9-9-abc', Array.from({ length: 8000 }, (_, i) => letter(i)));
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(r).toMatchObject({ blobs: 8, replayedBlobs: 8, failedBatches: 0, records: 8000, rows: 8000 });
    const tags = sink.landed.map((l) => l.tag);
    expect(tags).toHaveLength(2);
    expect(new Set(tags).size).toBe(2);
    expect(tags.every((t) => t.endsWith('.replay/AksControlPlane'))).toBe(true);
  });

  it("a detector failure's note holds no data: passed over, and the letters packed with it still replay", async () => {
    const { sink, lander, container, store } = rig('dl-detect-note');
    // What runDetect writes (index -1, no raw), packed with records of the same batch.
    await store.writeRecords('aks-0-9-9-abc', [letter(1, { reason: 'unknown-category' }), letter(-1, { detail: 'boom', raw: '' }), letter(2, { reason: 'unknown-category' })]);
    const log: string[] = [];
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW, log: (l) => log.push(l) });
    expect(r).toMatchObject({ blobs: 1, unreadable: 0, replayedBlobs: 1, rows: 2, deadLettersAgain: 0 });
    expect(sink.landed.map((l) => l.rows)).toEqual([2]);
    expect(log.join('\n')).toMatch(/detection did not run for batch aks-0-9-9-abc \(boom\)/);
    expect(await replayDeadLetters(container, { lander, policy, now: () => NOW })).toMatchObject({ alreadyReplayed: 1, batches: 0 });
  });

  it("a damaged Capture file's kept bytes are passed over: no event can be cut from them", async () => {
    const { sink, lander, container, store } = rig('dl-capture-bytes');
    // As capture/replay.ts keeps them: Avro bytes (here not UTF-8), index -1, CAPTURE_BLOCK_UNREADABLE.
    const bytes = Buffer.from([0x4f, 0x62, 0x6a, 0xff, 0xfe, 0x00, 0x80]);
    await store.writeRecords('capture-aks-diagnostics-2-abc', [letter(-1, { reason: CAPTURE_BLOCK_UNREADABLE, detail: 'capture/x.avro: bytes 10-16 of the file: a block not followed by the sync marker', raw: '', rawBase64: bytes.toString('base64') })]);
    const log: string[] = [];
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW, log: (l) => log.push(l) });
    // Before, they went through the pipeline and came back as an invalid-utf8 dead letter.
    expect(r).toMatchObject({ blobs: 1, replayedBlobs: 1, rows: 0, deadLettersAgain: 0 });
    expect(sink.landed).toEqual([]);
    expect((await deadLettersIn(container)).map((b) => [b.doc.reason, b.replayed])).toEqual([[CAPTURE_BLOCK_UNREADABLE, true]]);
    expect(log.join('\n')).toMatch(/unreadable bytes of a Capture file/);
  });

  it('a batch replayed days later writes its dead letters in its own day folder: the ones its trigger wrote are not written twice', async () => {
    let today = NOW;
    const { sink, lander, landerWith, container, store } = rig('dl-day', () => today);
    const events = [body([schedLine(1), { category: 'kube-scheduler', properties: {} }, schedLine(2)])];
    const key = batchKey(events);
    // The trigger's attempt: the table fails, its record dead letter is written; then the whole body.
    const down = landerWith(sinkDown);
    await expect(down.land(processEvents(events, { policy, now: NOW }), key)).rejects.toThrow(/sink down/);
    await store.writeEvents(key, events, 'land-failed', 'sink down');
    today = new Date(NOW.getTime() + 3 * 86_400_000);
    const r = await replayDeadLetters(container, { lander, policy, now: () => today });
    // Two groups: the body (its record fails as before), and the record's letter, which the body covers.
    expect(r).toMatchObject({ batches: 2, replayedBlobs: 2, rows: 2, deadLettersAgain: 1, superseded: 1 });
    expect(sink.landed.map((l) => [l.tag, l.rows])).toEqual([[`${key}/AksControlPlane`, 2]]);
    // One copy of the record's dead letter, in the batch's folder; nothing under the replay's day.
    const names = (await deadLettersIn(container)).map((b) => b.name);
    expect(names.filter((n) => n.endsWith('records-0.json'))).toEqual([`2025/01/02/${key}/records-0.json`]);
    expect(names.filter((n) => n.startsWith('2025/01/05/'))).toEqual([]);
  });

  it('letters that fail another way on a later day join the folder of their first replay', async () => {
    let today = NOW;
    const { lander, landerWith, container, store } = rig('dl-day-records', () => today);
    // Two records set aside by a detector failure; one of them now fails for another reason. The
    // first replay's landing fails after writing that letter, so the second replays the group again.
    await store.writeRecords('aks-0-9-9-abc', [letter(3), letter(4, { raw: JSON.stringify({ category: 'kube-scheduler', properties: {} }) })]);
    const failing = landerWith(sinkDown);
    for (const [days, l] of [[1, failing], [4, lander]] as const) {
      today = new Date(NOW.getTime() + days * 86_400_000);
      await replayDeadLetters(container, { lander: l, policy, now: () => today });
    }
    const names = new Set((await deadLettersIn(container)).map((b) => b.name));
    expect([...names]).toEqual([`2025/01/02/aks-0-9-9-abc/records-0.json`, expect.stringMatching(/^2025\/01\/02\/aks-diagnostics-0-9-9-[0-9a-f]{16}\.replay\/records-0\.json$/)]);
  });

  it('a --prefix that matches nothing says so, and names the slip of starting it with the container', async () => {
    const { lander, container, store } = rig('dl-prefix');
    await store.writeRecords('aks-0-9-9-abc', [letter(0)]);
    const log: string[] = [];
    expect(await replayDeadLetters(container, { lander, policy, prefix: 'dl-prefix/2025/', log: (l) => log.push(l) })).toMatchObject({ blobs: 0, batches: 0 });
    expect(log).toEqual([expect.stringMatching(/^replay: no dead letter in dl-prefix starts with dl-prefix\/2025\/; names start with the day, without the container: try --prefix 2025\/$/)]);
  });

  it('no dead-letter container yet (nothing was ever set aside): nothing to replay, not an error', async () => {
    const { lander, container } = rig('dl-never-created');
    const log: string[] = [];
    expect(await replayDeadLetters(container, { lander, policy, now: () => NOW, log: (l) => log.push(l) })).toMatchObject({ blobs: 0, batches: 0, unreadable: 0, failedBatches: 0 });
    expect(log).toEqual(['replay: no container dl-never-created: nothing has been dead-lettered yet']);
  });

  it('a batch whose blobs cannot all be read waits whole: landed in part under its key, the rest would have been skipped as landed', async () => {
    const { sink, lander, container, store } = rig('dl-incomplete');
    const events = [0, 1].map((b) => ({ body: JSON.stringify({ records: [schedLine(b)] }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 70 + b, offset: String(b) } }));
    await store.writeEvents(batchKey(events), events, 'land-failed', 'sink down');
    const log: string[] = [];
    const first = await replayDeadLetters(failingDownloads(container, 'event-1'), { lander, policy, now: () => NOW, log: (l) => log.push(l) });
    expect(first).toMatchObject({ unreadable: 1, incomplete: 1, replayedBlobs: 0, rows: 0 });
    expect(sink.landed).toEqual([]);
    expect(log.join('\n')).toMatch(/1 blob\(s\) read do not make up the batch/);
    const second = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(second).toMatchObject({ unreadable: 0, incomplete: 0, replayedBlobs: 2, rows: 2 });
    expect(sink.landed.map((l) => [l.tag, l.rows])).toEqual([[`${batchKey(events)}/AksControlPlane`, 2]]);
  });

  it('a batch with a body gone for good says which, and lands what is left only when asked (--allow-incomplete), under its own key: tables that had landed are not landed twice', async () => {
    const { sink, lander, container, store } = rig('dl-gone');
    const events = [0, 1, 2].map((b) => ({ body: JSON.stringify({ records: [schedLine(b), diagRecord('kube-audit', JSON.stringify(auditEvent({ auditID: `gone-${b}` })))] }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 90 + b, offset: String(b) } }));
    const key = batchKey(events);
    // The trigger's landing failed after AksAudit had landed (AksControlPlane did not).
    await sink.put({ table: 'AksAudit', tag: `${key}/AksAudit`, rows: 3, ndjson: Buffer.from('') } as unknown as TablePayload, key);
    await store.writeEvents(key, events, 'land-failed', 'sink down');
    const gone = (await deadLettersIn(container)).find((b) => b.name.endsWith('/event-1.json'))!;
    await container.deleteBlob(gone.name);

    const log: string[] = [];
    expect(await replayDeadLetters(container, { lander, policy, log: (l) => log.push(l) })).toMatchObject({ incomplete: 1, landedIncomplete: 0, rows: 0 });
    expect(log.join('\n')).toContain('no blob read holds sequence number(s) 91 of 90..92');
    expect(log.join('\n')).toContain('--allow-incomplete');
    expect(sink.landed.map((l) => l.tag)).toEqual([`${key}/AksAudit`]);

    const partial = await replayDeadLetters(container, { lander, policy, allowIncomplete: true });
    expect(partial).toMatchObject({ incomplete: 0, landedIncomplete: 1, replayedBlobs: 2 });
    // AksAudit had landed under the key: skipped, not landed again for the two bodies read.
    expect(sink.landed.filter((l) => l.table === 'AksAudit').map((l) => [l.tag, l.rows])).toEqual([[`${key}/AksAudit`, 3]]);
    expect(sink.landed.filter((l) => l.table === 'AksControlPlane').map((l) => [l.tag, l.rows])).toEqual([[`${key}/AksControlPlane`, 2]]);
    // Converged: a later run finds nothing to do.
    expect(await replayDeadLetters(container, { lander, policy, allowIncomplete: true })).toMatchObject({ alreadyReplayed: 2, batches: 0, rows: 0 });
  });

  it('--allow-incomplete: a run that stopped marking part-way does not land the unmarked body again', async () => {
    const { sink, lander, container, store } = rig('dl-gone-marking');
    const events = [0, 1, 2].map((b) => ({ body: JSON.stringify({ records: [schedLine(b)] }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 95 + b, offset: String(b) } }));
    const key = batchKey(events);
    await store.writeEvents(key, events, 'land-failed', 'sink down');
    await container.deleteBlob((await deadLettersIn(container)).find((b) => b.name.endsWith('/event-1.json'))!.name);
    // Marking event-2 fails once.
    const flaky = markingFailsOnce(container, '/event-2.json');
    expect(await replayDeadLetters(flaky, { lander, policy, allowIncomplete: true })).toMatchObject({ landedIncomplete: 1, failedBatches: 1 });
    expect(await replayDeadLetters(container, { lander, policy, allowIncomplete: true })).toMatchObject({ landedIncomplete: 1, rows: 0 });
    expect(sink.landed.map((l) => [l.tag, l.rows])).toEqual([[`${key}/AksControlPlane`, 2]]);
  });

  it('record letters of one batch replayed in two runs land both times: their key is their records\', not their batch\'s', async () => {
    const { sink, lander, container, store } = rig('dl-records-split');
    // Two packs of one batch (a pack closes at PACK_LETTERS); the second cannot be read on the first run.
    await store.writeRecords('aks-0-9-9-abc', Array.from({ length: 1001 }, (_, i) => letter(i)));
    expect(await replayDeadLetters(failingDownloads(container, 'records-1000'), { lander, policy, now: () => NOW })).toMatchObject({ unreadable: 1, replayedBlobs: 1, rows: 1000 });
    // Under one key for both, the second run's row was skipped as landed and its blob marked: lost.
    expect(await replayDeadLetters(container, { lander, policy, now: () => NOW })).toMatchObject({ alreadyReplayed: 1, replayedBlobs: 1, rows: 1 });
    expect(sink.landed.map((l) => l.rows)).toEqual([1000, 1]);
    expect(new Set(sink.landed.map((l) => l.tag)).size).toBe(2);
  });

  it('a replay after one whose landing failed half-way lands each record once, also with the letters that run wrote', async () => {
    const { sink, landerWith, container, store } = rig('dl-records-half');
    const audit = JSON.stringify(diagRecord('kube-audit', JSON.stringify(auditEvent({ auditID: 'r-3' }))));
    await store.writeRecords('aks-0-9-9-abc', [letter(1), letter(2), letter(3, { raw: audit }), letter(4, { raw: JSON.stringify({ category: 'kube-scheduler', properties: {} }) })]);
    // The first run lands AksControlPlane, fails on AksAudit, and writes record 4's new dead
    // letter (it fails another way now): the second sees the same records in two groups.
    let calls = 0;
    const flaky = landerWith((p, key, landing) => (p.table === 'AksAudit' && calls++ === 0 ? Promise.reject(new Error('timeout')) : sink.put(p, key, landing)));
    expect(await replayDeadLetters(container, { lander: flaky, policy, now: () => NOW })).toMatchObject({ failedBatches: 1, replayedBlobs: 0 });
    const second = await replayDeadLetters(container, { lander: flaky, policy, now: () => NOW });
    expect(second).toMatchObject({ failedBatches: 0, batches: 2 });
    expect(sink.landed.map((l) => [l.table, l.rows])).toEqual([['AksControlPlane', 2], ['Detections', 1], ['AksAudit', 1]]);
    expect((await deadLettersIn(container)).every((b) => b.replayed)).toBe(true);
  });

  it('a dry run reports the rows and the letters failing again that the real run then lands, and lands and marks nothing', async () => {
    const { sink, lander, container, store } = rig('dl-dry-run');
    const audit = JSON.stringify(diagRecord('kube-audit', JSON.stringify(auditEvent({ auditID: 'd-3' }))));
    await store.writeRecords('aks-0-9-9-dry', [letter(1), letter(2), letter(3, { raw: audit }), letter(4, { raw: JSON.stringify({ category: 'kube-scheduler', properties: {} }) })]);
    const dry = await replayDeadLetters(container, { lander, policy, now: () => NOW, dryRun: true });
    expect(sink.landed).toEqual([]);
    expect((await deadLettersIn(container)).some((b) => b.replayed)).toBe(false);
    const real = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(real.rows).toBeGreaterThan(0);
    expect(real.deadLettersAgain).toBe(1);
    expect([dry.rows, dry.deadLettersAgain]).toEqual([real.rows, real.deadLettersAgain]);
  });

  it('a body set aside unopened (batch-record-limit) keeps its other records when its first fails again', async () => {
    const { sink, store, landerWith, lander, container } = rig('dl-body-letter');
    const metric = { time: '2025-01-02T03:00:00Z', resourceId: '/SUBSCRIPTIONS/0/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/SIFT-DEV', metricName: 'apiserver_cpu_usage_percentage', total: 3, count: 1 };
    const raw = JSON.stringify({ records: [metric, schedLine(1), schedLine(2), schedLine(3)] });
    await store.writeRecords('aks-0-9-9-abc', [letter(0, { reason: 'batch-record-limit', detail: 'not opened', raw })]);
    // Run 1 opens the body: the metric becomes a letter of its own (at the body's place, index
    // 0), and the rows fail to land. Run 2 sees the metric "fail again" at that place.
    const r1 = await replayDeadLetters(container, { lander: landerWith((p, k, l) => (p.table === 'AksControlPlane' ? Promise.reject(new Error('429')) : sink.put(p, k, l))), policy, now: () => NOW });
    expect(r1).toMatchObject({ failedBatches: 1, replayedBlobs: 0 });
    const r2 = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    // The metric fails again in both groups that hold it: the body's, and its own letter's.
    expect(r2).toMatchObject({ failedBatches: 0, rows: 3, deadLettersAgain: 2 });
    // Before, the whole body was left out as "failing again" (or passed over for the metric's
    // letter at its place) and marked replayed: its three scheduler lines were lost.
    expect(sink.landed.filter((l) => l.table === 'AksControlPlane').map((l) => l.rows)).toEqual([3]);
    const letters = await deadLettersIn(container);
    expect(letters.map((b) => [b.doc.reason, b.replayed]).sort()).toEqual([['azure-metric', true], ['batch-record-limit', true]]);
    expect(await replayDeadLetters(container, { lander, policy, now: () => NOW })).toMatchObject({ alreadyReplayed: 2, batches: 0 });
  });

  it('a record whose body is set aside whole too lands once: the body replays it', async () => {
    const { sink, lander, container, store } = rig('dl-superseded');
    const events = [body([schedLine(1), schedLine(2)])];
    const key = batchKey(events);
    // The trigger set record 1 aside (a detector failure, fixed since), then could not land the batch.
    await store.writeRecords(key, [{ ...letter(1), position: { ...events[0]!.position, index: 1 } }]);
    await store.writeEvents(key, events, 'land-failed', 'sink down');
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(r).toMatchObject({ batches: 2, superseded: 1, replayedBlobs: 2, rows: 2, failedBatches: 0 });
    expect(sink.landed.map((l) => [l.tag, l.rows])).toEqual([[`${key}/AksControlPlane`, 2]]);
    expect((await deadLettersIn(container)).every((b) => b.replayed)).toBe(true);
  });

  it('a blob it cannot download is left for the next run; the others replay, and no signature reaches the log', async () => {
    const { sink, lander, container } = rig('dl-unreadable');
    await container.createIfNotExists();
    for (const i of [1, 2]) {
      const text = JSON.stringify({ kind: 'record', batchKey: `aks-0-${i}-${i}-abc`, writtenAt: NOW.toISOString(), ...letter(i) });
      await container.getBlockBlobClient(`2025/01/02/aks-0-${i}-${i}-abc/records-0.json`).upload(text, Buffer.byteLength(text));
    }
    // The first blob's download fails (a reset connection, a blob too large to read as text).
    const failing = failingDownloads(container, 'aks-0-1-1-');
    const log: string[] = [];
    const r = await replayDeadLetters(failing, { lander, policy, now: () => NOW, log: (l) => log.push(l) });
    expect(r).toMatchObject({ blobs: 2, unreadable: 1, replayedBlobs: 1, rows: 1 });
    expect(sink.landed.map((l) => l.tag)).toEqual([expect.stringMatching(/^aks-diagnostics-0-9-9-[0-9a-f]{16}\.replay\/AksControlPlane$/)]);
    expect(log.join('\n')).toMatch(/aks-0-1-1-abc\/records-0\.json: not a dead letter \(cannot read it: read ECONNRESET .*sig=REDACTED/);
    expect(log.join('\n')).not.toContain('SECRET9');
    // Readable again: the next run replays it.
    expect(await replayDeadLetters(container, { lander, policy, now: () => NOW })).toMatchObject({ alreadyReplayed: 1, replayedBlobs: 1, rows: 1 });
  });
});

describe('sift replay of the webhook hub\'s record-level dead letters', () => {
  const hub = (sequenceNumber: number, source: string, cluster: string, events: unknown[]): EventInput => ({
    body: JSON.stringify({ type: WEBHOOK_MESSAGE_TYPE, source, cluster, receivedTime: '2025-01-02T03:00:01Z', events }),
    position: { source: 'webhook-events', partitionId: '1', sequenceNumber, offset: String(sequenceNumber) },
  });
  const alert = (rule: string) => ({ output: `${rule} seen`, priority: 'Warning', rule, time: '2025-01-02T03:00:00Z', output_fields: { 'k8s.ns.name': 'default' } });

  it('keep the cluster their message named, and replay through the webhook pipeline: failing again converges', async () => {
    const { sink, lander, container, store } = rig('dl-webhook-records');
    const events = [
      hub(5, 'k8s-audit', 'lab', [auditEvent({ auditID: 'ok-1' }), auditEvent({ auditID: '' })]),
      hub(6, 'falco', 'edge', [alert('Terminal shell in container'), { ...alert('x'), rule: '' }]),
    ];
    const result = processWebhookEvents(events, { policy, now: NOW });
    await store.writeRecords(batchKey(events), result.deadLetters);
    const written = (await deadLettersIn(container)).map((b) => [b.doc.reason, b.doc.category, b.doc.cluster, b.doc.position]);
    expect(written).toEqual([
      ['incomplete-audit', 'k8s-audit-webhook', 'lab', expect.objectContaining({ sequenceNumber: 5, index: 1 })],
      ['invalid-runtime-alert', 'falco', 'edge', expect.objectContaining({ sequenceNumber: 6, index: 1 })],
    ]);
    // One pack holds both. They fail as they did: counted, landed nowhere, no new dead letter.
    // Through the AKS pipeline the alert became an unknown-shape dead letter, a new blob on
    // every replay.
    expect(new Set((await deadLettersIn(container)).map((b) => b.name)).size).toBe(1);
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW, webhookHub: 'webhook-events' });
    expect(r).toMatchObject({ blobs: 1, replayedBlobs: 1, records: 2, deadLettersAgain: 2, rows: 0 });
    expect(sink.landed).toEqual([]);
    expect((await deadLettersIn(container)).map((b) => b.replayed)).toEqual([true, true]);
  });

  it('an event and an alert set aside by an earlier version land as their cluster\'s, at their own index', async () => {
    const { sink, lander, container } = rig('dl-webhook-fixed');
    await container.createIfNotExists();
    const docs: DeadLetterBlob[] = [
      { category: 'k8s-audit-webhook', cluster: 'lab', index: 2, raw: JSON.stringify(auditEvent({ auditID: 'late-1', verb: 'get' })) },
      { category: 'falco', cluster: 'edge', index: 4, raw: JSON.stringify(alert('Terminal shell in container')) },
    ].map(({ index, ...d }) => ({ kind: 'record', batchKey: 'webhook-events-1-5-5-abc', reason: 'detect-error', detail: 'x', position: { source: 'webhook-events', partitionId: '1', sequenceNumber: 5, offset: '5', index }, writtenAt: NOW.toISOString(), ...d }));
    for (const [n, doc] of docs.entries()) {
      const text = JSON.stringify(doc);
      await container.getBlockBlobClient(`2025/01/02/webhook-events-1-5-5-abc/${n}.json`).upload(text, Buffer.byteLength(text));
    }
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW, webhookHub: 'webhook-events' });
    expect(r).toMatchObject({ blobs: 2, replayedBlobs: 2, deadLettersAgain: 0, failedBatches: 0 });
    const table = (name: string) => sink.landed.filter((l) => l.table === name).flatMap((l) => l.ndjson.trim().split('\n').map((x) => JSON.parse(x) as Record<string, unknown>));
    expect(sink.landed.every((l) => /^webhook-events-1-5-5-[0-9a-f]{16}\.replay\//.test(l.tag))).toBe(true);
    expect(table('AksAudit').map((x) => [x.Cluster, x.Position, x.Category])).toEqual([['lab', '1/5/2', 'k8s-audit-webhook']]);
    expect(table('Detections').filter((x) => x.Source === 'falco').map((x) => x.Cluster)).toEqual(['edge']);
  });
});

describe('sift replay of whole-event dead letters', () => {
  const hubEvent = (sequenceNumber: number, body: unknown): EventInput => ({ body: typeof body === 'string' ? body : JSON.stringify(body), position: { source: 'webhook-events', partitionId: '1', sequenceNumber, offset: String(sequenceNumber) } });

  it('messages of the webhook hub go back through the webhook pipeline (they used to become unknown-shape dead letters)', async () => {
    const { sink, lander, container, store } = rig('dl-webhook-hub');
    const alert = { output: 'shell in container', priority: 'Warning', rule: 'Terminal shell in container', time: '2025-01-02T03:00:00Z', output_fields: { 'k8s.ns.name': 'default', 'k8s.pod.name': 'web' } };
    const events = [hubEvent(5, { type: WEBHOOK_MESSAGE_TYPE, source: 'falco', cluster: 'lab', receivedTime: '2025-01-02T03:00:01Z', events: [alert] })];
    await store.writeEvents(batchKey(events), events, 'land-failed', 'sink down');
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW, webhookHub: 'webhook-events' });
    expect(r).toMatchObject({ batches: 1, replayedBlobs: 1, failedBatches: 0, deadLettersAgain: 0, rows: 1 });
    expect(sink.landed.map((l) => [l.tag, l.rows])).toEqual([[`${batchKey(events)}/Detections`, 1]]);
    expect(JSON.parse(sink.landed[0]!.ndjson)).toMatchObject({ Source: 'falco', Rule: 'Terminal shell in container', Cluster: 'lab' });
  });

  it('a group past one chunk lands in the trigger\'s chunks, under the keys the trigger gives them', async () => {
    const { sink, lander, container, store } = rig('dl-chunks-replay');
    const lines = (tag: string, n: number) => Array.from({ length: n }, (_, i) => diagRecord('kube-scheduler', `I0102 03:00:01.000000 1 s.go:1] ${tag} ${i}`, { time: '2025-01-02T03:00:00.0000000Z' }));
    const events = [3000, 1500, 10].map((n, i) => ({ body: JSON.stringify({ records: lines(`b${i}`, n) }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 40 + i, offset: String(i) } }));
    await store.writeEvents(batchKey(events), events, 'settings-invalid', 'bad settings');
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(r).toMatchObject({ batches: 1, replayedBlobs: 3, failedBatches: 0, records: 4510, rows: 4510 });
    expect(sink.landed.map((l) => [l.tag, l.rows])).toEqual([[`${batchKey(events.slice(0, 2))}/AksControlPlane`, 4500], [`${batchKey(events.slice(2))}/AksControlPlane`, 10]]);
    expect((await deadLettersIn(container)).every((b) => b.replayed)).toBe(true);
  });

  it('a batch kept twice (redelivered more than a day later: a copy in another day folder) lands once, and both copies are marked', async () => {
    const name = 'dl-two-copies';
    const { sink, lander, container } = rig(name);
    const service = BlobServiceClient.fromConnectionString(azurite.current.connectionString);
    const events = [0, 1].map((k) => ({ body: JSON.stringify({ records: [diagRecord('kube-scheduler', `I0102 03:00:0${k}.000000 1 s.go:1] body ${k}`)] }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 10 + k, offset: String(k) } }));
    for (const day of ['2025-01-02T04:00:00Z', '2025-01-04T04:00:00Z']) await new DeadLetterStore(service, name, () => new Date(day)).writeEvents(batchKey(events), events, 'land-failed', 'sink down');
    expect((await deadLettersIn(container)).map((b) => b.name.slice(0, 11))).toEqual(['2025/01/02/', '2025/01/02/', '2025/01/04/', '2025/01/04/']);
    // Before: both copies made one group of four bodies, whose key never matched the batch's,
    // so it was "incomplete" on every run and never landed.
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(r).toMatchObject({ batches: 1, incomplete: 0, replayedBlobs: 4, records: 2, rows: 2 });
    expect(sink.landed.map((l) => [l.tag, l.rows])).toEqual([[`${batchKey(events)}/AksControlPlane`, 2]]);
    expect((await deadLettersIn(container)).every((b) => b.replayed)).toBe(true);
  });

  it('letters carry the enqueued time of their events: a whole batch replays under its trigger\'s key, records under their own', async () => {
    const { sink, lander, container, store } = rig('dl-enqueued');
    const at = (k: number) => ({ source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 30 + k, offset: String(k), enqueuedTime: `2025-01-02T03:00:0${k}.000Z` });
    const events = [0, 1].map((k) => ({ body: JSON.stringify({ records: [diagRecord('kube-scheduler', `I0102 03:00:0${k}.000000 1 s.go:1] body ${k}`)] }), position: at(k) }));
    await store.writeEvents(batchKey(events), events, 'land-failed', 'sink down');
    // A record letter as the trigger writes it: its record's position, with the event's time.
    const record: DeadLetter = { reason: 'detect-error', detail: 'fixed since', position: { ...at(2), index: 0 }, raw: JSON.stringify(diagRecord('kube-scheduler', 'I0102 03:00:02.000000 1 s.go:1] record 2')) };
    await store.writeRecords(batchKey([{ body: '', position: at(2) }]), [record]);
    expect((await deadLettersIn(container)).map((b) => b.doc.position.enqueuedTime)).toEqual(['2025-01-02T03:00:00.000Z', '2025-01-02T03:00:01.000Z', '2025-01-02T03:00:02.000Z']);
    // Before, the time was dropped on reading: the bodies no longer gave the batch's key ("incomplete", never landed).
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(r).toMatchObject({ batches: 2, incomplete: 0, replayedBlobs: 3, rows: 3 });
    expect(sink.landed.map((l) => l.tag).sort()).toEqual([`${batchKey(events)}/AksControlPlane`, `${replayKey(batchKey([{ body: '', position: at(2), firstIndex: 0 }]))}/AksControlPlane`].sort());
  });

  it('a batch that landed but was marked only in part (a metadata write failed) is marked by the next run, not left "incomplete" for ever', async () => {
    const { sink, lander, container, store } = rig('dl-part-marked');
    const events = [0, 1].map((k) => ({ body: JSON.stringify({ records: [diagRecord('kube-scheduler', `I0102 03:00:0${k}.000000 1 s.go:1] body ${k}`)] }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 20 + k, offset: String(k) } }));
    await store.writeEvents(batchKey(events), events, 'land-failed', 'sink down');
    // The container as replay sees it, except that marking event-1 fails once.
    const flaky = markingFailsOnce(container, '/event-1.json');
    const first = await replayDeadLetters(flaky, { lander, policy, now: () => NOW });
    expect(first).toMatchObject({ batches: 1, failedBatches: 1, rows: 2 });
    expect((await deadLettersIn(container)).map((b) => b.replayed)).toEqual([true, false]);
    const second = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(second).toMatchObject({ alreadyReplayed: 1, incomplete: 0, replayedBlobs: 1, rows: 0 });
    expect((await deadLettersIn(container)).every((b) => b.replayed)).toBe(true);
    expect(sink.landed.map((l) => [l.tag, l.rows])).toEqual([[`${batchKey(events)}/AksControlPlane`, 2]]);
  });
});

