// Record dead letters are written in packs, not one blob per record: a hub shared with
// another resource's diagnostics sets thousands of records aside per body. Against Azurite:
// packing, idempotent rewrites, and replay of packs (grouped once, marked once).
import { describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import type { DeadLetter, EventInput } from '../functions/contracts.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { DeadLetterStore, PACK_CHARS, PACK_LETTERS, packDeadLetters, REPLAYED_METADATA } from '../functions/land/deadLetters.js';
import { makeLander } from '../functions/land/lander.js';
import { replayDeadLetters } from '../functions/land/replay.js';
import type { TableSink } from '../functions/land/sink.js';
import { batchKey, processEvents } from '../functions/pipeline.js';
import { useAzurite } from './support/azurite.js';
import { diagRecord } from './support/records.js';
import { deadLetterDocs } from './support/landing.js';

const azurite = useAzurite();
const policy = defaultPolicy('aks');
const NOW = new Date('2025-01-02T04:00:00Z');
const position = (index: number) => ({ source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 9, offset: '900', index });
const letter = (index: number, raw = `{"n":${index}}`): DeadLetter => ({ reason: 'invalid-record', detail: 'd', position: position(index), raw });

/** A record of another resource type's diagnostic setting, sent to the AKS hub by mistake. */
const vaultRecord = (i: number) => ({
  time: '2025-01-02T03:00:00Z',
  resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/VAULT1',
  category: 'AuditEvent',
  operationName: 'SecretGet',
  properties: { id: `https://vault1.vault.azure.net/secrets/s${i}` },
});

/** Lands everything it is given, once per tag. */
function recordingSink(): TableSink & { rows: Map<string, number> } {
  const rows = new Map<string, number>();
  return {
    kind: 'model',
    rows,
    async put(p) {
      if (rows.has(p.tag)) return 'duplicate';
      rows.set(p.tag, p.rows);
      return 'landed';
    },
  };
}

describe('packDeadLetters', () => {
  it('closes a pack at PACK_LETTERS letters, names each by its first letter, and keeps every field', () => {
    const letters = Array.from({ length: PACK_LETTERS * 2 + 5 }, (_, i) => letter(i));
    letters[3] = { ...letters[3]!, category: 'kube-audit', cluster: 'lab', rawBase64: '/w==' };
    const packs = packDeadLetters(letters);
    expect(packs.map((p) => [p.first, p.letters.length])).toEqual([[0, PACK_LETTERS], [PACK_LETTERS, PACK_LETTERS], [PACK_LETTERS * 2, 5]]);
    expect(packs.flatMap((p) => p.letters)).toEqual(letters);
  });

  it('closes a pack before its text passes PACK_CHARS; a larger letter gets a pack of its own', () => {
    const big = 'x'.repeat(Math.floor(PACK_CHARS * 0.4));
    const huge = 'y'.repeat(PACK_CHARS + 1);
    const packs = packDeadLetters([letter(0, big), letter(1, big), letter(2, big), letter(3, huge), letter(4)]);
    expect(packs.map((p) => p.letters.map((l) => l.position.index))).toEqual([[0, 1], [2], [3], [4]]);
  });
});

describe('record dead letters in Blob storage', () => {
  it('a body of 2,500 foreign records is set aside in three blobs, once, and replays them as one group', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.current.connectionString);
    const store = new DeadLetterStore(service, 'dl-packs', () => NOW);
    const scheduled = [0, 1, 2].map((n) => diagRecord('kube-scheduler', `I0102 03:00:0${n}.000000       1 sched.go:1] scheduled pod-${n}`));
    const events: EventInput[] = [{ body: JSON.stringify({ records: [...scheduled, ...Array.from({ length: 2500 }, (_, i) => vaultRecord(i))] }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 9, offset: '900' } }];
    const result = processEvents(events, { policy, now: NOW });
    expect([result.rows.AksControlPlane.length, result.deadLetters.length]).toEqual([3, 2500]);
    const key = batchKey(events);

    expect(await store.writeRecords(key, result.deadLetters)).toBe(2500);
    const docs = await deadLetterDocs(azurite.current, 'dl-packs');
    expect([...new Set(docs.map((d) => d.name))]).toEqual([0, 1000, 2000].map((n) => `2025/01/02/${key}/records-${n}.json`));
    expect(docs.map((d) => d.doc.position)).toEqual(result.deadLetters.map((d) => d.position));
    expect(docs.every((d) => d.doc.kind === 'record' && d.doc.batchKey === key && d.doc.reason === 'foreign-record')).toBe(true);
    // The foreign record itself is kept, at its index in the body (after the three klog records).
    expect(JSON.parse(docs[7]!.doc.raw)).toEqual(vaultRecord(7));
    expect(docs[7]!.doc.position).toMatchObject({ sequenceNumber: 9, index: 10 });

    // A redelivered batch packs the same way and writes nothing new.
    const container = service.getContainerClient('dl-packs');
    const etags = async () => {
      const out: string[] = [];
      for await (const b of container.listBlobsFlat()) out.push(`${b.name} ${b.properties.etag}`);
      return out;
    };
    const before = await etags();
    await store.writeRecords(key, processEvents(events, { policy, now: NOW }).deadLetters);
    expect(await etags()).toEqual(before);

    // Replay: they fail the same way again, so nothing lands and nothing new is written; each
    // pack is one blob of the group and is marked once.
    const sink = recordingSink();
    const lander = makeLander(sink, store, { retries: 0, baseMs: 1, timeoutMs: 10_000 });
    const r = await replayDeadLetters(container, { lander, policy, now: () => NOW });
    expect(r).toMatchObject({ blobs: 3, batches: 1, replayedBlobs: 3, records: 2500, deadLettersAgain: 2500, rows: 0, unreadable: 0 });
    expect([...sink.rows.values()].reduce((a, b) => a + b, 0)).toBe(0);
    const marks: boolean[] = [];
    for await (const b of container.listBlobsFlat({ includeMetadata: true })) marks.push(Boolean(b.metadata?.[REPLAYED_METADATA]));
    expect(marks).toEqual([true, true, true]);
  });

  it('a batch dead-lettered before midnight UTC and redelivered after it is not written again under the new day', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.current.connectionString);
    const container = service.getContainerClient('dl-midnight');
    const names = async () => {
      const out: string[] = [];
      for await (const b of container.listBlobsFlat()) out.push(b.name);
      return out;
    };
    const before = new DeadLetterStore(service, 'dl-midnight', () => new Date('2025-01-01T23:59:30Z'));
    const after = new DeadLetterStore(service, 'dl-midnight', () => new Date('2025-01-02T00:04:00Z'));
    const events: EventInput[] = [{ body: '{"records":', position: { source: 'aks-diagnostics', partitionId: '1', sequenceNumber: 5, offset: '50' } }];
    const letters = Array.from({ length: PACK_LETTERS + 1 }, (_, i) => letter(i));
    // The first delivery wrote its first pack and the batch's bodies, then stopped.
    await before.writeRecords('b-1', letters.slice(0, PACK_LETTERS));
    await before.writeEvents('b-1', events, 'land-failed', 'x');
    const first = await names();
    // Redelivered after midnight: the names it already wrote are found in that day, and the
    // pack it did not get to joins them there.
    await after.writeRecords('b-1', letters);
    await after.writeEvents('b-1', events, 'land-failed', 'x');
    expect(first).toEqual(['2025/01/01/b-1/event-0.json', '2025/01/01/b-1/records-0.json']);
    // Another batch, first seen after midnight, goes to the new day.
    await after.writeRecords('b-2', [letter(0)]);
    expect((await names()).sort()).toEqual([
      '2025/01/01/b-1/event-0.json',
      '2025/01/01/b-1/records-0.json',
      `2025/01/01/b-1/records-${PACK_LETTERS}.json`,
      '2025/01/02/b-2/records-0.json',
    ]);
  });

  it('a pack of records that land now replays into rows that keep their positions', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.current.connectionString);
    const store = new DeadLetterStore(service, 'dl-packs-land', () => NOW);
    // Set aside by "an earlier version" (a detector failure fixed since).
    const letters: DeadLetter[] = [4, 6].map((index) => ({
      reason: 'detect-error',
      detail: 'x',
      position: position(index),
      raw: JSON.stringify(diagRecord('kube-scheduler', `I0102 03:00:0${index}.000000       1 sched.go:1] scheduled pod-${index}`)),
    }));
    await store.writeRecords('aks-0-9-9-abc', letters);
    const sink = recordingSink();
    const lander = makeLander(sink, store, { retries: 0, baseMs: 1, timeoutMs: 10_000 });
    const r = await replayDeadLetters(service.getContainerClient('dl-packs-land'), { lander, policy, now: () => NOW });
    expect(r).toMatchObject({ blobs: 1, replayedBlobs: 1, records: 2, rows: 2, deadLettersAgain: 0 });
    expect([...sink.rows]).toEqual([[expect.stringMatching(/^aks-diagnostics-0-9-9-[0-9a-f]{16}\.replay\/AksControlPlane$/), 2]]);
  });
});
