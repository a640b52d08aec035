import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EventInput } from '../functions/contracts.js';
import { bodyText, clusterFromResourceId, DEFAULT_MAX_BODY_BYTES, unwrapEvent, type EnvelopeSink } from '../functions/envelope/index.js';
import { auditEvent, diagRecord, input, RID } from './support/records.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/aks/${name}`, import.meta.url));
const opts = { defaultCluster: 'fallback', maxBodyBytes: DEFAULT_MAX_BODY_BYTES };

function unwrap(...events: EventInput[]): EnvelopeSink & { items: number } {
  const sink: EnvelopeSink = { records: [], deadLetters: [] };
  let items = 0;
  for (const e of events) items += unwrapEvent(e, sink, opts);
  return { ...sink, items };
}

describe('envelope: AKS diagnostic bodies', () => {
  it('reads {"records":[...]} with every category and extra fields, from a Buffer', () => {
    const out = unwrap(input(fixture('mixed-categories.json')));
    expect(out.deadLetters).toEqual([]);
    expect(out.records.map((r) => r.category)).toEqual([
      'kube-audit', 'kube-audit-admin', 'kube-audit-admin', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler',
      'cluster-autoscaler', 'guard', 'cloud-controller-manager', 'csi-azuredisk-controller', 'kube-apiserver',
    ]);
    expect(out.items).toBe(11);
    const r = out.records[1]!;
    expect(r).toMatchObject({ cluster: 'sift-dev', resourceId: RID, pod: 'kube-apiserver-5d9c8b7f4-abcde', stream: 'stdout', source: 'diagnostic', time: '2024-03-01T10:00:00.1234567Z' });
    expect(r.position).toEqual({ source: 'test', partitionId: '0', sequenceNumber: 1, offset: '100', index: 1 });
    expect(typeof r.log).toBe('string');
  });

  it('accepts the same body as a string, as parsed JSON, and with a BOM', () => {
    const buf = fixture('mixed-categories.json');
    const a = unwrap(input(buf.toString('utf8')));
    const b = unwrap(input(JSON.parse(buf.toString('utf8'))));
    const c = unwrap(input(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf])));
    const d = unwrap(input('\uFEFF' + buf.toString('utf8')));
    for (const o of [a, b, c, d]) {
      expect(o.deadLetters).toEqual([]);
      expect(o.records).toHaveLength(11);
    }
    const single = unwrap(input(fixture('bom-single-record.json')));
    expect(single.deadLetters).toEqual([]);
    expect(single.records).toHaveLength(1);
  });

  it('lower-cases the cluster from resourceId; Arc clusters; default when absent', () => {
    expect(clusterFromResourceId(RID)).toBe('sift-dev');
    expect(clusterFromResourceId('/subscriptions/x/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/Arc-01')).toBe('arc-01');
    expect(clusterFromResourceId('/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/A/extra')).toBe('a');
    const out = unwrap(input({ records: [diagRecord('kube-scheduler', 'x', { resourceId: undefined }), diagRecord('kube-scheduler', 'x', { resourceId: '/subscriptions/s/resourcegroups/r' })] }));
    expect(out.records.map((r) => r.cluster)).toEqual(['fallback', 'fallback']);
  });
});

describe('envelope: webhook shapes', () => {
  it('audit Event, EventList and arrays of events', () => {
    const single = unwrap(input(auditEvent()));
    expect(single.records).toHaveLength(1);
    expect(single.records[0]).toMatchObject({ category: 'k8s-audit-webhook', source: 'audit-event', cluster: 'fallback', time: '2024-03-01T10:00:00.123456Z' });
    const list = unwrap(input(fixture('eventlist.json')));
    expect(list.records.map((r) => r.position.index)).toEqual([0, 1]);
    const arr = unwrap(input(fixture('event-array.json')));
    expect(arr.records).toHaveLength(2);
    expect(arr.deadLetters).toEqual([]);
  });

  it('flattens an array of bodies with a running index', () => {
    const out = unwrap(input([{ records: [diagRecord('guard', 'a'), diagRecord('guard', 'b')] }, auditEvent(), { kind: 'EventList', items: [auditEvent()] }]));
    expect(out.records.map((r) => r.position.index)).toEqual([0, 1, 2, 3]);
    expect(out.items).toBe(4);
  });
});

describe('envelope: hostile input becomes dead letters, never a throw', () => {
  it('non-JSON, empty, wrong top-level types', () => {
    const out = unwrap(input('not json'), input(''), input('   \n'), input(null), input('42'), input('"s"'), input('null'), input({ hello: 'world' }), input(Buffer.alloc(0)));
    expect(out.deadLetters.map((d) => d.reason)).toEqual(['invalid-json', 'empty-body', 'empty-body', 'empty-body', 'unknown-shape', 'unknown-shape', 'unknown-shape', 'unknown-shape', 'empty-body']);
    expect(out.deadLetters[0]!.raw).toBe('not json');
    expect(out.items).toBe(9);
  });

  it('wrong types inside records: each record alone, with a zod reason', () => {
    const out = unwrap(input({
      records: [
        diagRecord('kube-scheduler', 'ok'),
        diagRecord('kube-scheduler', 5 as unknown as string),
        { category: 'kube-audit', properties: 'nope' },
        { ...diagRecord('guard', 'x'), time: 12 },
        { ...diagRecord('guard', 'x'), category: '' },
        null,
        [1],
        'string',
      ],
    }));
    expect(out.records).toHaveLength(1);
    expect(out.deadLetters.map((d) => [d.reason, d.position.index])).toEqual([
      ['invalid-record', 1], ['invalid-record', 2], ['invalid-record', 3], ['invalid-record', 4], ['unknown-shape', 5], ['unknown-shape', 6], ['unknown-shape', 7],
    ]);
    expect(out.deadLetters[0]!.detail).toMatch(/properties\.log/);
    expect(out.deadLetters[2]!.detail).toMatch(/time/);
    const bad = unwrap(input({ records: 'x' }), input({ kind: 'EventList', items: {} }));
    expect(bad.deadLetters.map((d) => d.reason)).toEqual(['invalid-body', 'invalid-body']);
  });

  it('metrics and other resources\' records on the hub are dead letters that say where they came from', () => {
    const metric = { count: 6, total: 12, minimum: 1, maximum: 3, average: 2, resourceId: RID, time: '2024-03-01T10:00:00.0000000Z', metricName: 'apiserver_current_inflight_requests', timeGrain: 'PT1M' };
    const vault = { time: '2024-03-01T10:00:00Z', resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/VAULT1', category: 'AuditEvent', operationName: 'SecretGet', properties: { id: 'https://vault1.vault.azure.net/secrets/s' } };
    const arc = { ...diagRecord('guard', 5 as unknown as string), resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/edge' };
    const out = unwrap(input({ records: [diagRecord('kube-scheduler', 'ok'), metric, vault, { ...vault, category: undefined, operationName: 'x' }, arc] }));
    expect(out.records).toHaveLength(1);
    expect(out.deadLetters.map((d) => [d.reason, d.position.index, d.category])).toEqual([
      ['azure-metric', 1, undefined],
      ['foreign-record', 2, 'AuditEvent'],
      ['foreign-record', 3, undefined],
      // An AKS or Arc cluster's record that is wrong keeps its schema error.
      ['invalid-record', 4, 'guard'],
    ]);
    expect(out.deadLetters[0]!.detail).toMatch(/metric \(apiserver_current_inflight_requests\).*sends metrics to this hub/);
    expect(out.deadLetters[1]!.detail).toBe("a diagnostic record of MICROSOFT.KEYVAULT/VAULTS (category AuditEvent): another resource's diagnostic setting sends to this hub");
    expect(out.deadLetters[2]!.detail).toMatch(/^a diagnostic record of MICROSOFT\.KEYVAULT\/VAULTS: /);
    expect(out.deadLetters[3]!.detail).toMatch(/properties\.log/);
    expect(JSON.parse(out.deadLetters[1]!.raw)).toEqual(vault);
  });

  it('invalid UTF-8 keeps the exact bytes in base64', () => {
    const bytes = Buffer.concat([Buffer.from('{"records":[{"category":"guard","properties":{"log":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}]}')]);
    const out = unwrap(input(bytes));
    expect(out.records).toEqual([]);
    expect(out.deadLetters[0]!.reason).toBe('invalid-utf8');
    expect(Buffer.from(out.deadLetters[0]!.rawBase64!, 'base64').equals(bytes)).toBe(true);
  });

  it('bodyText, the one way a whole body is kept in a dead letter (envelope, landing last resort, webhook hub)', () => {
    const bad = Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]);
    const kept = bodyText(bad);
    expect(Buffer.from(kept.rawBase64!, 'base64').equals(bad)).toBe(true);
    expect(kept.raw).toBe(bad.toString('utf8'));
    expect(kept.raw).toContain('\ufffd');
    // A view into a larger buffer keeps only its own bytes; valid UTF-8 needs no base64.
    const pool = Buffer.from('xx{"a":"é"}yy');
    expect(bodyText(pool.subarray(2, pool.length - 2))).toEqual({ raw: '{"a":"é"}' });
    expect(bodyText(new Uint8Array(bad).buffer)).toEqual(kept);
    expect(bodyText('not json')).toEqual({ raw: 'not json' });
    expect(bodyText({ records: [1] })).toEqual({ raw: '{"records":[1]}' });
    expect(bodyText(10n).raw).toMatch(/^\[unserializable/);
  });

  it('an Event, EventList or diagnostic record with a stray `records` field is still that item (it used to vanish)', () => {
    for (const stray of [[], [1]]) {
      const event = unwrap(input({ ...auditEvent(), records: stray }));
      expect(event.items).toBe(1);
      expect(event.records.map((r) => r.source)).toEqual(['audit-event']);
      expect(event.deadLetters).toEqual([]);
      const list = unwrap(input({ kind: 'EventList', items: [auditEvent(), auditEvent({ auditID: 'b' })], records: stray }));
      // Records in both lists: neither is read, the whole object is kept (see the next test).
      expect(list.items).toBe(stray.length === 0 ? 2 : 1);
      expect(list.records).toHaveLength(stray.length === 0 ? 2 : 0);
      const record = unwrap(input({ ...diagRecord('kube-scheduler', 'I0301 10:00:00.000000 1 a.go:1] x'), records: stray }));
      expect(record.items).toBe(1);
      expect(record.records.map((r) => r.category)).toEqual(['kube-scheduler']);
    }
    // A plain {records: []} body is still an empty body: no items, nothing to dead-letter.
    expect(unwrap(input({ records: [] }))).toMatchObject({ items: 0, records: [], deadLetters: [] });
  });

  it('a record or Event with `kind: EventList` and `items` is still that item; an EventList with records too is kept whole', () => {
    const LOG = 'I0101 00:00:00.000000 1 a.go:1] hello';
    const record = { ...diagRecord('kube-apiserver', LOG), kind: 'EventList', items: [] };
    // Alone, and inside {records} before a good record: both become rows, at their own indexes.
    expect(unwrap(input(record))).toMatchObject({ items: 1, deadLetters: [] });
    const body = unwrap(input({ records: [{ ...record, category: undefined, operationName: 'x' }, diagRecord('kube-apiserver', LOG)] }));
    expect(body.items).toBe(2);
    expect([...body.records.map((r) => r.position.index), ...body.deadLetters.map((d) => d.position.index)].sort()).toEqual([0, 1]);
    expect(unwrap(input({ ...auditEvent(), kind: 'Event', items: [] })).records.map((r) => r.source)).toEqual(['audit-event']);
    // Items in both lists: one dead letter for the object, naming both, nothing vanishes.
    const both = unwrap(input({ kind: 'EventList', items: [], records: [diagRecord('kube-apiserver', LOG), diagRecord('kube-apiserver', LOG)] }));
    expect(both.items).toBe(1);
    expect(both.records).toEqual([]);
    expect(both.deadLetters.map((d) => [d.reason, d.detail])).toEqual([['unknown-shape', expect.stringContaining('it is both an EventList (items) and {records}')]]);
    const nested = unwrap(input([{ kind: 'EventList', items: [auditEvent()], records: [diagRecord('kube-apiserver', LOG)] }, diagRecord('kube-apiserver', LOG)]));
    expect(nested.deadLetters.map((d) => [d.reason, d.position.index])).toEqual([['unknown-shape', 0]]);
    expect(nested.records.map((r) => r.position.index)).toEqual([1]);
  });

  it('every malformed UTF-8 form is dead-lettered, and the bodies after it decode (and lose their BOM) as before', () => {
    const body = (log: Buffer): Buffer => Buffer.concat([Buffer.from('{"records":[{"category":"guard","time":"2024-03-01T10:00:00Z","properties":{"log":"'), log, Buffer.from('"}}]}')]);
    const malformed = [
      [0xc0, 0xaf], // overlong '/'
      [0xed, 0xa0, 0x80], // UTF-16 surrogate encoded as UTF-8
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe2, 0x82], // sequence cut short
      [0x80], // lone continuation byte
    ];
    for (const bytes of malformed) {
      const text = 'é ü € 𝄞';
      const out = unwrap(input(body(Buffer.from(bytes)), 0), input(body(Buffer.from(text)), 1), input(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body(Buffer.from(text))]), 2));
      expect(out.deadLetters.map((d) => d.reason)).toEqual(['invalid-utf8']);
      expect(out.records.map((r) => r.log)).toEqual([text, text]);
      expect(out.records.map((r) => r.position.sequenceNumber)).toEqual([1, 2]);
    }
    // A body cut in the middle of a character at its very end.
    const cut = Buffer.from('{"records":[]} é').subarray(0, -1);
    expect(unwrap(input(cut)).deadLetters.map((d) => d.reason)).toEqual(['invalid-utf8']);
  });

  it('10 MB bodies: dead-lettered over the limit, processed under a raised one', () => {
    const rec = JSON.stringify(diagRecord('kube-scheduler', 'I0301 10:00:00.000000       1 a.go:1] ' + 'x'.repeat(900)));
    const n = Math.ceil((10 * 1024 * 1024) / rec.length);
    const big = Buffer.from(`{"records":[${Array(n).fill(rec).join(',')}]}`);
    expect(big.length).toBeGreaterThan(10 * 1024 * 1024);
    const out = unwrap(input(big), input(big.toString('utf8')));
    expect(out.deadLetters.map((d) => d.reason)).toEqual(['body-too-large', 'body-too-large']);
    expect(out.deadLetters[0]!.raw.length).toBe(big.length);
    const sink: EnvelopeSink = { records: [], deadLetters: [] };
    expect(unwrapEvent(input(big), sink, { ...opts, maxBodyBytes: 64 << 20 })).toBe(n);
    expect(sink.records).toHaveLength(n);
    expect(sink.deadLetters).toEqual([]);
    // One 10 MB garbage string
    const junk = unwrap(input('{'.repeat(10 << 20)));
    expect(junk.deadLetters[0]!.reason).toBe('body-too-large');
  });

  it('deep nesting: bodies, records, events', () => {
    const depth = 100_000;
    const deepArr = '['.repeat(depth) + ']'.repeat(depth);
    const deepObj = '{"records":[' + '{"records":['.repeat(depth) + ']}'.repeat(depth) + ']}';
    const deepEvent = JSON.stringify(auditEvent({ requestObject: 'X' })).replace('"X"', '{"a":'.repeat(5000) + '1' + '}'.repeat(5000));
    const list = `{"kind":"EventList","items":[${JSON.stringify(auditEvent())},${deepEvent}]}`;
    const out = unwrap(input(deepArr), input(deepObj), input(list), input(JSON.parse(list)));
    expect(out.records).toHaveLength(2);
    expect(out.deadLetters.map((d) => d.reason)).toEqual(['unknown-shape', 'unknown-shape', 'too-deep', 'too-deep']);
    for (const d of out.deadLetters) expect(typeof d.raw).toBe('string');
  });

  it('an object that resembles a record says what to send instead', () => {
    const properties = { log: 'I0301 10:00:00.000000       1 x.go:1] ok', pod: 'kube-apiserver-0', stream: 'stderr' };
    const analytics = { TimeGenerated: '2024-03-01T10:00:00Z', Category: 'kube-apiserver', log_s: 'I0301 …', _ResourceId: RID.toLowerCase() };
    const out = unwrap(input(properties), input([properties, analytics, { x: 1 }, 7]));
    expect(out.deadLetters.map((d) => d.reason)).toEqual(['unknown-shape', 'unknown-shape', 'unknown-shape', 'unknown-shape', 'unknown-shape']);
    const details = out.deadLetters.map((d) => d.detail);
    expect(details[0]).toMatch(/^body is neither .*; it looks like the properties object of a diagnostic record/);
    expect(details[1]).toMatch(/^item 0 .*; it looks like the properties object/);
    expect(details[2]).toMatch(/^item 1 .*; it looks like a Log Analytics row/);
    expect(details[3]).toBe('item 2 is an object of no known shape (diagnostic record, audit Event, EventList, {records})');
    expect(details[4]).toBe('item 3 is a number');
  });

  it('a dead-lettered item keeps the bytes the sender wrote: numbers, key order and escapes as sent', () => {
    const valid = JSON.stringify(diagRecord('kube-scheduler', 'I0301 10:00:00.000000       1 x.go:1] ok'));
    // Each would come back different from JSON.stringify(JSON.parse(...)).
    const foreign = '{"category":"AzureFirewallNetworkRule","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW","properties":{"msg":"caf\\u00e9","bytes":9007199254740993,"b":1,"10":2,"ratio":1.50}}';
    const invalid = '{ "category" : "kube-apiserver", "properties": {"log": 12345678901234567890, "pod": "p"} }';
    const number = '12345678901234567890';
    const body = `{"records":[${valid},\n  ${foreign} ,${invalid},${number}]}`;
    for (const b of [body, Buffer.from(body)]) {
      const out = unwrap(input(b));
      expect(out.records).toHaveLength(1);
      expect(out.deadLetters.map((d) => [d.position.index, d.raw])).toEqual([[1, foreign], [2, invalid], [3, number]]);
      expect(out.deadLetters[0]!.raw).not.toBe(JSON.stringify(JSON.parse(foreign)));
    }
    // A body that arrived parsed has no bytes to keep: its items are written back.
    const parsed = unwrap(input(JSON.parse(body)));
    expect(parsed.deadLetters.map((d) => d.raw)).toEqual([foreign, invalid, number].map((t) => JSON.stringify(JSON.parse(t))));
  });

  it('dead letters inside nested arrays and an EventList come from their own array', () => {
    const odd = '{"x":1e2}';
    const body = `[{"records":[${odd}, 7]}, {"kind":"EventList","items":[${odd}]}, 0.10]`;
    const out = unwrap(input(body));
    expect(out.deadLetters.map((d) => [d.position.index, d.raw])).toEqual([[0, odd], [1, '7'], [2, odd], [3, '0.10']]);
  });

  it('an item nested past what JSON.stringify can write is dead-lettered with its exact bytes from the body', () => {
    const depth = 20_000;
    const nestedArr = '['.repeat(depth) + ']'.repeat(depth);
    const nestedRecords = (n: number) => '{"records":['.repeat(n) + ']}'.repeat(n);
    const deepEvent = JSON.stringify(auditEvent({ auditID: 'deep-1', requestObject: 'X' })).replace('"X"', '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
    expect(() => JSON.stringify(JSON.parse(deepEvent))).toThrow(RangeError);
    // Pretty spacing, a string holding brackets and escaped quotes, and a repeated key (JSON.parse keeps the last).
    const list = `{ "kind" : "EventList", "items": [1], "note": "] } [ \\\" {", "it\u0065ms" : [ ${JSON.stringify(auditEvent())} ,\n ${deepEvent} ] }`;
    const out = unwrap(input(`[${nestedArr}]`), input(`{"records":[{"records":[${nestedRecords(depth)}]}]}`), input(list));
    expect(out.deadLetters.map((d) => [d.reason, d.position.index])).toEqual([['unknown-shape', 0], ['unknown-shape', 0], ['too-deep', 1]]);
    // The second body's third level of {records} is past the shapes a body may take: that item is the dead letter.
    expect(out.deadLetters.map((d) => d.raw)).toEqual([nestedArr, nestedRecords(depth - 1), deepEvent]);
    expect(out.records).toHaveLength(1);
    // Replayed, the dead letter's bytes are the same item again.
    const again = unwrap(input(out.deadLetters[2]!.raw));
    expect(again.deadLetters.map((d) => [d.reason, d.raw])).toEqual([['too-deep', deepEvent]]);
  });
});
