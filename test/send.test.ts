import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EstimatedBatch, sendInBatches, splitBody, type BatchProducer } from '../functions/eventhub/batching.js';
import { fittedBodies, run, send } from '../scripts/commands/send.js';
import { openInput, recordedBodies } from '../scripts/commands/bodyInput.js';

const record = (i: number, pad: number) => ({
  time: '2025-04-20T10:00:00.0000000Z',
  resourceId: '/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS1',
  category: 'kube-audit',
  operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
  properties: { log: JSON.stringify({ auditID: `id-${i}`, pad: 'x'.repeat(pad) }), pod: 'kube-apiserver-0', stream: 'stdout' },
});

afterEach(() => vi.restoreAllMocks());

describe('splitBody', () => {
  it('leaves a body that fits alone', () => {
    const body = { records: [record(0, 10)] };
    const r = splitBody(body, 10_000);
    expect(r.bodies).toEqual([JSON.stringify(body)]);
    expect(r.oversizeBody).toBe(false);
  });

  it('splits records[] into bodies under the limit, in order, keeping every record', () => {
    const body = { records: Array.from({ length: 50 }, (_, i) => record(i, 3000)) };
    const r = splitBody(body, 20_000);
    expect(r.shape).toBe('records');
    expect(r.bodies.length).toBeGreaterThan(5);
    const back = r.bodies.flatMap((b) => {
      expect(Buffer.byteLength(b)).toBeLessThanOrEqual(20_000);
      return (JSON.parse(b) as { records: unknown[] }).records;
    });
    expect(back).toEqual(body.records);
  });

  it('cuts along the list the envelope reads: an EventList beside an empty records[] along its items; an Event, a record, or both lists not at all', () => {
    const items = Array.from({ length: 4 }, (_, i) => ({ auditID: `i-${i}`, stage: 'ResponseComplete', p: 'x'.repeat(800) }));
    const withEmpty = splitBody(JSON.stringify({ kind: 'EventList', records: [], items }), 2000);
    expect(withEmpty.shape).toBe('EventList');
    expect(withEmpty.bodies.flatMap((b) => (JSON.parse(b) as { items: { auditID: string }[] }).items.map((x) => x.auditID))).toEqual(items.map((x) => x.auditID));
    for (const body of [
      { kind: 'EventList', records: [{ category: 'kube-audit' }], items },
      { auditID: 'e', stage: 'ResponseComplete', records: items },
      { category: 'kube-audit', properties: { log: 'x' }, records: items },
    ])
      expect(splitBody(JSON.stringify(body), 2000)).toMatchObject({ bodies: [], oversizeBody: true });
  });

  it('splits an EventList along items and keeps its other fields; reports an item too large alone', () => {
    const items = [{ auditID: 'a', p: 'x'.repeat(500) }, { auditID: 'huge', p: 'x'.repeat(5000) }, { auditID: 'b', p: 'é'.repeat(500) }];
    const list = { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items };
    const r = splitBody(JSON.stringify(list), 2000);
    expect(r.shape).toBe('EventList');
    expect(r.oversizeItems).toEqual([1]);
    const parsed = r.bodies.map((b) => JSON.parse(b) as typeof list);
    for (const [i, b] of r.bodies.entries()) {
      expect(Buffer.byteLength(b)).toBeLessThanOrEqual(2000); // multi-byte é counted as bytes
      expect(parsed[i]).toMatchObject({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1' });
    }
    expect(parsed.flatMap((p) => p.items.map((x) => x.auditID))).toEqual(['a', 'b']);
  });

  it('a body given as text keeps each item as written when it is split (numbers past 2^53, escapes)', () => {
    const item = (i: number): string => `{"auditID":"e-${i}","n":9007199254740993,"k":"caf\\u00e9","p":"${'x'.repeat(400)}"}`;
    const items = Array.from({ length: 6 }, (_, i) => item(i));
    for (const [text, shape] of [[`{"kind":"EventList","items":[${items.join(', ')}]}`, 'EventList'], [`\ufeff[${items.join(',\n')}]`, 'array'], [`{"records":[${items.join(',')}]}`, 'records']] as const) {
      const r = splitBody(text, 1500);
      expect(r.shape, shape).toBe(shape);
      expect(r.bodies.length, shape).toBeGreaterThan(1);
      expect(r.bodies.join('\n').match(/"n":9007199254740993,"k":"caf\\u00e9"/g), shape).toHaveLength(items.length);
    }
  });

  it('flags a large body with nothing to split along', () => {
    expect(splitBody({ log: 'x'.repeat(5000) }, 1000)).toMatchObject({ bodies: [], oversizeBody: true });
    expect(splitBody('not json ' + 'x'.repeat(5000), 1000)).toMatchObject({ bodies: [], oversizeBody: true });
  });
});

describe('sendInBatches', () => {
  function fakeProducer(max: number) {
    const sent: EstimatedBatch[] = [];
    const producer: BatchProducer<EstimatedBatch> = {
      createBatch: async () => new EstimatedBatch(max),
      sendBatch: async (b) => void sent.push(b),
    };
    return { producer, sent };
  }

  it('packs events into as few batches as the size allows and never sends an empty batch', async () => {
    const { producer, sent } = fakeProducer(10_000);
    const bodies = Array.from({ length: 30 }, (_, i) => Buffer.from(JSON.stringify({ i, p: 'x'.repeat(900) })));
    const report = await sendInBatches(producer, bodies);
    expect(report.events).toBe(30);
    expect(report.rejected).toEqual([]);
    const each = bodies[0]!.byteLength + EstimatedBatch.PER_EVENT_OVERHEAD;
    const perBatch = Math.floor((10_000 - EstimatedBatch.BATCH_OVERHEAD) / each);
    expect(perBatch).toBeLessThan(30);
    expect(report.batches).toBe(Math.ceil(30 / perBatch));
    expect(sent.slice(0, -1).every((b) => b.count === perBatch)).toBe(true);
    for (const b of sent) expect(b.sizeInBytes).toBeLessThanOrEqual(10_000);
    expect(sent.flatMap((b) => b.bodies.map((x) => (JSON.parse(Buffer.from(x).toString()) as { i: number }).i))).toEqual([...Array(30).keys()]);
  });

  it('reports a body no batch can hold and still sends the others', async () => {
    const { producer, sent } = fakeProducer(2_000);
    const bodies = [Buffer.alloc(100, 97), Buffer.alloc(5_000, 98), Buffer.alloc(100, 99)];
    const report = await sendInBatches(producer, bodies);
    expect(report.rejected).toEqual([1]);
    expect(report.events).toBe(2);
    expect(sent.reduce((n, b) => n + b.count, 0)).toBe(2);
  });

  it('propagates a send failure', async () => {
    const producer: BatchProducer<EstimatedBatch> = {
      createBatch: async () => new EstimatedBatch(1000),
      sendBatch: async () => {
        throw new Error('ServiceBusy');
      },
    };
    await expect(sendInBatches(producer, [Buffer.from('{}')])).rejects.toThrow('ServiceBusy');
  });
});

describe('sift send --dry-run over recorded files', () => {
  it('reads .jsonl and .json inputs, splits an oversize body and plans batches', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sift-send-'));
    try {
      const small = { records: [record(1, 100)] };
      const big = { records: Array.from({ length: 40 }, (_, i) => record(i, 60_000)) }; // ≈2.4 MB
      writeFileSync(path.join(dir, 'a.jsonl'), `${JSON.stringify(small)}\n\n${JSON.stringify(big)}\n`);
      writeFileSync(path.join(dir, 'b.json'), JSON.stringify(small, null, 2));
      writeFileSync(path.join(dir, 'ignored.txt'), 'nope');
      const logs: string[] = [];
      const r = await send({ hub: 'aks-diagnostics', inputs: [dir], maxBodyBytes: 1_000_000, dryRun: true }, (m) => logs.push(m));
      expect(r.bodiesIn).toBe(3);
      expect(r.split).toBe(1);
      // 2 small bodies + the big one in 3 parts (16 + 16 + 8 records of ≈60 KB); a small body
      // still fits next to a ≈960 KB part, so 3 batches of 1 MiB.
      expect(r.events).toBe(5);
      expect(r.batches).toBe(3);
      expect(r.rejected).toEqual([]);
      expect(r.oversizeItems + r.unsplittable).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('skips .json files that are empty or whitespace only, like blank .jsonl lines, and says how many', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sift-send-'));
    try {
      const body = JSON.stringify({ records: [record(1, 100)] });
      writeFileSync(path.join(dir, 'a.json'), body);
      writeFileSync(path.join(dir, 'b.json'), '');
      writeFileSync(path.join(dir, 'c.json'), ' \r\n\t\n');
      writeFileSync(path.join(dir, 'd.jsonl'), `\n${body}\n  \n`);
      const logs: string[] = [];
      const r = await send({ hub: 'aks-diagnostics', inputs: [dir], maxBodyBytes: 1_000_000, dryRun: true }, (m) => logs.push(m));
      // Counted as bodies, the two empty files were sent as two empty events.
      expect(r).toMatchObject({ bodiesIn: 2, emptyFiles: 2, events: 2 });
      expect(logs.filter((l) => l.endsWith('is empty: skipped'))).toEqual([`${path.join(dir, 'b.json')} is empty: skipped`, `${path.join(dir, 'c.json')} is empty: skipped`]);
      // The command's summary line says it too.
      let err = '';
      vi.spyOn(process.stderr, 'write').mockImplementation((m) => ((err += String(m)), true));
      expect(await run(['--hub', 'aks-diagnostics', '--input', dir, '--dry-run'])).toBe(0);
      expect(err).toMatch(/^planned \(dry run\): 2 events in 1 batches .*; 2 bodies read, 2 empty files skipped, /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads what the dataset API hands out and what people paste: gzip (any name), a pretty body on stdin, JSON lines in a .json file, an array of bodies", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sift-send-'));
    try {
      const bodies = [1, 2, 3].map((i) => ({ records: [record(i, 10)] }));
      const jsonl = `${bodies.map((b) => JSON.stringify(b)).join('\n')}\n`;
      writeFileSync(path.join(dir, 'aks-data.eventhub.jsonl.gz'), gzipSync(jsonl));
      writeFileSync(path.join(dir, 'renamed.bin'), gzipSync(jsonl));
      writeFileSync(path.join(dir, 'lines.json'), jsonl);
      writeFileSync(path.join(dir, 'array.json'), JSON.stringify(bodies, null, 2));
      const read = async (inputs: string[], stdin?: Readable) => {
        const out: unknown[] = [];
        for await (const b of recordedBodies(inputs, () => undefined, stdin)) out.push(JSON.parse(b.toString("utf8")));
        return out;
      };
      for (const f of ['aks-data.eventhub.jsonl.gz', 'renamed.bin', 'lines.json', 'array.json']) expect(await read([path.join(dir, f)]), f).toEqual(bodies);
      expect(await read(['-'], Readable.from([Buffer.from(JSON.stringify(bodies[0], null, 2))]))).toEqual([bodies[0]]);
      expect(await read(['-'], Readable.from([gzipSync(jsonl)]))).toEqual(bodies);
      // A folder: its body files, gzipped or not (renamed.bin is no body file by name).
      expect(await read([dir])).toHaveLength(9);
      // A damaged gzip file is named.
      writeFileSync(path.join(dir, 'cut.jsonl.gz'), gzipSync(jsonl).subarray(0, 20));
      await expect(read([path.join(dir, 'cut.jsonl.gz')])).rejects.toThrow(`cannot read ${path.join(dir, 'cut.jsonl.gz')}: unexpected end of file`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gzip arriving one byte first (a slow pipe) is still unpacked; a damaged stream fails the read and closes its source', async () => {
    const bodies = [1, 2].map((i) => ({ records: [record(i, 10)] }));
    const gz = gzipSync(`${bodies.map((b) => JSON.stringify(b)).join('\n')}\n`);
    const slow = new PassThrough();
    slow.write(gz.subarray(0, 1));
    setTimeout(() => slow.end(gz.subarray(1)), 20);
    const out: unknown[] = [];
    for await (const b of recordedBodies(['-'], () => undefined, slow)) out.push(JSON.parse(b.toString("utf8")));
    expect(out).toEqual(bodies);
    // A stream that never ends on its own (stdin left open by its writer): the error ends it.
    const open = new PassThrough();
    open.write(Buffer.concat([gz.subarray(0, 10), Buffer.alloc(64, 0xff)]));
    const read = (async () => {
      for await (const _ of await openInput(open)) void _;
    })();
    await expect(read).rejects.toThrow(/invalid|incorrect|unknown/i);
    expect(open.destroyed).toBe(true);
  });

  it('bodies go on as the bytes read: invalid UTF-8 is not replaced with U+FFFD on the way to the hub', async () => {
    const bad = Buffer.concat([Buffer.from('{"records":[{"category":"kube-apiserver","properties":{"log":"x user='), Buffer.from([0xff, 0xfe]), Buffer.from('"}}]}')]);
    const stats = { bodiesIn: 0, emptyFiles: 0, split: 0, oversizeItems: 0, unsplittable: 0 };
    const out: Uint8Array[] = [];
    for await (const b of fittedBodies(recordedBodies(['-'], () => undefined, Readable.from([Buffer.concat([bad, Buffer.from('\n')])])), 1_000_000, stats, () => undefined)) out.push(b);
    expect(out.map((b) => Buffer.from(b))).toEqual([bad]);
  });

  it("nothing is split into nothing or dropped unsaid: an audit Event's extra records[] is no list; --input publishes what no event can carry whole", async () => {
    const event = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'big', stage: 'ResponseComplete', verb: 'get', requestURI: '/', pad: 'x'.repeat(1_100_000), records: [] };
    const big = { records: [record(1, 1_200_000), record(2, 10)] };
    const run = async (keep: boolean) => {
      const stats = { bodiesIn: 0, emptyFiles: 0, split: 0, oversizeItems: 0, unsplittable: 0 };
      const warnings: string[] = [];
      const out: Buffer[] = [];
      const input = Readable.from([Buffer.from(`${JSON.stringify(event)}\n${JSON.stringify(big)}\n`)]);
      for await (const b of fittedBodies(recordedBodies(['-'], () => undefined, input), 1_000_000, stats, (w) => warnings.push(w), keep)) out.push(Buffer.from(b));
      return { stats, warnings, out };
    };
    // sift send: both are reported and skipped (Event Hubs refuses them); the Event was split into no body at all, silently.
    const send = await run(false);
    expect(send.stats).toMatchObject({ bodiesIn: 2, unsplittable: 1, oversizeItems: 1 });
    expect(send.warnings).toEqual([expect.stringMatching(/^body #1 is \d+ bytes and has no records\[\]\/items\[\] to split along: skipped$/), expect.stringMatching(/^body #2 has 1 item\(s\) larger than 1000000 bytes alone \(indexes 0\): skipped$/)]);
    expect(send.out.map((b) => JSON.parse(b.toString()).records.length)).toEqual([1]);
    // npm start --input: the local hub takes them whole, for the pipeline to land or dead-letter.
    const local = await run(true);
    expect(local.out.map((b) => JSON.parse(b.toString()))).toEqual([event, big]);
    expect(local.warnings.every((w) => w.endsWith('published whole (a real Event Hub refuses events over 1000000 bytes)'))).toBe(true);
  });

  it('a folder with no body file in it is an error naming it (subfolders are not searched), not "0 bodies"', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sift-send-'));
    try {
      mkdirSync(path.join(dir, 'sub'));
      writeFileSync(path.join(dir, 'sub', 'a.jsonl'), JSON.stringify({ records: [record(1, 10)] }));
      writeFileSync(path.join(dir, 'README.md'), '# not a body');
      await expect(send({ hub: 'aks-diagnostics', inputs: [dir], maxBodyBytes: 1_000_000, dryRun: true }, () => undefined)).rejects.toThrow(`no body files in ${dir}: it holds no .json, .jsonl or .ndjson file (gzipped or not); subfolders are not searched`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an input that cannot be read is named in the error (a bare ENOENT did not say which)', async () => {
    const missing = path.join(tmpdir(), 'sift-send-no-such-file.jsonl');
    await expect(send({ hub: 'aks-diagnostics', inputs: [missing], maxBodyBytes: 1_000_000, dryRun: true }, () => undefined)).rejects.toThrow(`cannot read ${missing}: ENOENT`);
  });
});
