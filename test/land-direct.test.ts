// direct sink (`.ingest inline`, Kustainer style) against a loopback endpoint that records
// every command; streaming and managed sinks against the same stand-in.
import { describe, expect, it } from 'vitest';
import { createLander, type ClosableLander } from '../functions/land/index.js';
import { splitNdjson } from '../functions/land/sink.js';
import { batchKey } from '../functions/pipeline.js';
import { aksEvents } from './support/aksEvents.js';
import { configFor, expectedRows, landedRows, queueMessages, run, useLandingRig } from './support/landing.js';

const rig = useLandingRig();
const { azurite } = rig;

function lander(kind: 'direct' | 'streaming' | 'managed', env: Record<string, string> = {}): ClosableLander {
  const l = createLander(kind, {
    config: configFor(azurite.current, { KUBESIFT_SINK: kind, KUBESIFT_KUSTO_CLUSTER_URL: rig.standIn.url, KUBESIFT_KUSTO_INGEST_URL: rig.standIn.url, ...env }),
  });
  rig.track(l);
  return l;
}

const INLINE = /^\.ingest inline into table (\w+) with \(format = 'multijson', ingestionMappingReference = '(\w+)', tags = '(\[[^']*\])', ingestIfNotExists = '(\[[^']*\])'\) <\|\n([\s\S]*)$/;

describe('direct sink', () => {
  it('sends one tagged `.ingest inline` per table with every row, and the same tags on redelivery', async () => {
    const events = aksEvents({ audit: 15, lines: 9, events: 2, seed: 'd1ec0001' });
    const result = run(events);
    const key = batchKey(events);
    const l = lander('direct');
    rig.standIn.commands.length = 0;
    const report = await l.land(result, key);
    expect(landedRows(report)).toBe(expectedRows(result));

    const sent = rig.standIn.commands.filter((c) => c.csl.startsWith('.ingest inline'));
    expect(sent.every((c) => c.db === 'kubesift')).toBe(true);
    const parsed = sent.map((c) => INLINE.exec(c.csl)).map((m) => {
      expect(m).not.toBeNull();
      const [, table, mapping, tags, ifNot, data] = m!;
      return { table: table!, mapping: mapping!, tags: JSON.parse(tags!) as string[], ifNot: JSON.parse(ifNot!) as string[], rows: data!.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
    });
    const byTable = new Map(parsed.map((p) => [p.table, p]));
    expect(byTable.get('AksAudit')!.rows).toHaveLength(15);
    expect(byTable.get('AksControlPlane')!.rows).toHaveLength(9);
    for (const p of parsed) {
      expect(p.mapping).toBe(`${p.table}_json`);
      expect(p.tags).toEqual([`ingest-by:${key}/${p.table}`]);
      expect(p.ifNot).toEqual([`${key}/${p.table}`]);
    }

    rig.standIn.commands.length = 0;
    await l.land(run(events), key);
    const again = rig.standIn.commands.filter((c) => c.csl.startsWith('.ingest inline')).map((c) => INLINE.exec(c.csl)![4]);
    expect(again.sort()).toEqual(parsed.map((p) => JSON.stringify(p.ifNot)).sort());
  });

  it('splits large payloads at row boundaries', () => {
    const rows = Array.from({ length: 100 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i) }) + '\n').join('');
    const pieces = splitNdjson(Buffer.from(rows), 1000);
    expect(pieces.length).toBeGreaterThan(5);
    expect(Buffer.concat(pieces).toString()).toBe(rows);
    for (const p of pieces) {
      expect(p.toString().endsWith('\n')).toBe(true);
      expect(p.length).toBeLessThanOrEqual(1000);
    }
    const big = JSON.stringify({ pad: 'y'.repeat(3000) }) + '\n';
    expect(splitNdjson(Buffer.from('{"a":1}\n' + big), 1000).map((b) => b.toString())).toEqual(['{"a":1}\n', big]);
  });
});

describe('streaming and managed sinks', () => {
  it('streaming posts gzipped multijson with the mapping name per table', async () => {
    const events = aksEvents({ audit: 6, lines: 4, events: 1, seed: 'd1ec0002', firstSequence: 300 });
    const result = run(events);
    rig.standIn.streams.length = 0;
    await lander('streaming').land(result, batchKey(events));
    const audit = rig.standIn.streams.filter((s) => s.table === 'AksAudit');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ db: 'kubesift', format: 'multijson', mappingName: 'AksAudit_json' });
    expect(audit[0]!.body.trim().split('\n')).toHaveLength(6);
    expect(rig.standIn.streams.find((s) => s.table === 'AksControlPlane')!.body.trim().split('\n')).toHaveLength(4);
  });

  it('managed streams small payloads, queues large ones and falls back to queued when streaming fails', async () => {
    const small = aksEvents({ audit: 3, lines: 0, events: 1, seed: 'd1ec0003', firstSequence: 400 });
    const large = aksEvents({ audit: 200, lines: 0, events: 1, seed: 'd1ec0004', firstSequence: 401 });
    const l = lander('managed', { KUBESIFT_STREAMING_MAX_BYTES: '50000' });
    await queueMessages(azurite.current, rig.standIn.queueName); // drain
    rig.standIn.streams.length = 0;
    await l.land(run(small), batchKey(small));
    expect(rig.standIn.streams.filter((s) => s.table === 'AksAudit')).toHaveLength(1);
    expect(await queueMessages(azurite.current, rig.standIn.queueName)).toEqual([]);

    rig.standIn.streams.length = 0;
    await l.land(run(large), batchKey(large));
    expect(rig.standIn.streams.filter((s) => s.table === 'AksAudit')).toEqual([]);
    const queued = await queueMessages(azurite.current, rig.standIn.queueName);
    expect(queued.find((m) => m.TableName === 'AksAudit')!.AdditionalProperties.ingestIfNotExists).toBe(JSON.stringify([`${batchKey(large)}/AksAudit`]));

    rig.standIn.behaviour.streamingStatus = 503;
    try {
      await l.land(run(small), batchKey(small));
    } finally {
      rig.standIn.behaviour.streamingStatus = undefined;
    }
    const fallback = await queueMessages(azurite.current, rig.standIn.queueName);
    expect(fallback.map((m) => m.TableName)).toContain('AksAudit');
  });
});
