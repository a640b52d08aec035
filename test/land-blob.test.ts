// blob sink into Azurite: gzipped multijson per table + the .ingest command beside it;
// the same batch landed twice writes nothing new; pipeline dead letters land in the
// dead-letter container once.
import { describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { createLander } from '../functions/land/index.js';
import { blobSink, landedBlobName } from '../functions/land/blobSink.js';
import { tablePayloads } from '../functions/land/payload.js';
import { batchKey } from '../functions/pipeline.js';
import { useAzurite } from './support/azurite.js';
import { aksEvents } from './support/aksEvents.js';
import { configFor, deadLetterDocs, expectedRows, gunzipLines, landedRows, listBlobs, run } from './support/landing.js';

const azurite = useAzurite();

describe('blob sink', () => {
  it('lands gzipped multijson per table with the exact .ingest command, once', async () => {
    const config = configFor(azurite.current, { KUBESIFT_SINK: 'blob' });
    const events = aksEvents({ audit: 40, lines: 25, events: 3, seed: 'b10b0001' });
    const result = run(events);
    const key = batchKey(events);
    const lander = createLander('blob', { config });

    const first = await lander.land(result, key);
    expect(first.rows).toEqual({ AksAudit: 40, AksControlPlane: 25, Detections: result.detections.length });
    expect(landedRows(first)).toBe(expectedRows(result));

    const landing = BlobServiceClient.fromConnectionString(azurite.current.connectionString).getContainerClient('landing');
    const names = await listBlobs(landing);
    const tables = ['AksAudit', 'AksControlPlane', ...(result.detections.length ? ['Detections'] : [])];
    expect(names).toEqual(tables.flatMap((t) => [`${t}/2025/01/02/${key}.kql`, `${t}/2025/01/02/${key}.multijson.gz`]).sort());

    const audit = await gunzipLines(landing, landedBlobName({ table: 'AksAudit', day: '2025/01/02' }, key));
    expect(audit).toHaveLength(40);
    expect(new Set(audit.map((r) => r.AuditId)).size).toBe(40);
    expect(audit[0]).toMatchObject({ Category: 'kube-audit', Verb: 'update', Resource: 'configmaps', Cluster: 'landtest', Stage: 'ResponseComplete' });
    const cp = await gunzipLines(landing, landedBlobName({ table: 'AksControlPlane', day: '2025/01/02' }, key));
    expect(cp.map((r) => r.Verb)).toEqual(Array(25).fill('GET'));

    const command = (await landing.getBlobClient(`AksAudit/2025/01/02/${key}.kql`).downloadToBuffer()).toString('utf8');
    const url = landing.getBlockBlobClient(`AksAudit/2025/01/02/${key}.multijson.gz`).url;
    expect(command).toContain(
      `.ingest into table AksAudit (h'${url}') with (format = 'multijson', ingestionMappingReference = 'AksAudit_json', tags = '["ingest-by:${key}/AksAudit"]', ingestIfNotExists = '["${key}/AksAudit"]')`,
    );

    // Redelivery: same positions → same key → nothing new, the report says so.
    const etag = (await landing.getBlobClient(`AksAudit/2025/01/02/${key}.multijson.gz`).getProperties()).etag;
    const second = await lander.land(run(events), key);
    expect(landedRows(second)).toBe(0);
    expect(second.duplicatesSkipped).toBe(expectedRows(result));
    expect(await listBlobs(landing)).toEqual(names);
    expect((await landing.getBlobClient(`AksAudit/2025/01/02/${key}.multijson.gz`).getProperties()).etag).toBe(etag);
  });

  it('a retry that finds the write of its own timed-out attempt reports it landed; another landing finds a duplicate', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.current.connectionString);
    const sink = blobSink(service, 'landing-retry');
    const events = aksEvents({ audit: 5, lines: 0, events: 1, seed: 'b10b0003', firstSequence: 900 });
    const key = batchKey(events);
    const [audit] = tablePayloads(run(events), key).payloads;
    // Attempt 1 of landing L1 wrote the blob but its caller gave up waiting; attempt 2 of L1 finds it.
    expect(await sink.put(audit!, key, 'L1')).toBe('landed');
    expect(await sink.put(audit!, key, 'L1')).toBe('landed');
    // A redelivered batch is another landing: nothing written, reported as a duplicate.
    expect(await sink.put(audit!, key, 'L2')).toBe('duplicate');
    expect(await sink.put(audit!, key)).toBe('duplicate');
  });

  it('a poison record never blocks its batch: rows land, the record is dead-lettered once', async () => {
    const config = configFor(azurite.current, { KUBESIFT_SINK: 'blob', KUBESIFT_LANDING_CONTAINER: 'landing-poison', KUBESIFT_DEADLETTER_CONTAINER: 'deadletter-poison' });
    const events = aksEvents({ audit: 10, lines: 0, events: 1, seed: 'b10b0002', firstSequence: 500 });
    const poison = { category: 'kube-audit', time: '2025-01-02T03:04:05Z', resourceId: '/x', properties: { log: '{"kind":"Event","auditID":"cut-off', pod: 'p', stream: 'stdout' } };
    events.push({ body: JSON.stringify({ records: [poison, 17] }), position: { source: 'aks-diagnostics', partitionId: '0', sequenceNumber: 501, offset: '501000' } });
    const result = run(events);
    expect(result.summary.records).toBe(12);
    const key = batchKey(events);
    const lander = createLander('blob', { config });
    const report = await lander.land(result, key);
    expect(report.rows.AksAudit).toBe(10);
    expect(report.deadLetters).toBe(result.deadLetters.length);
    // Every record is a row or a dead letter: 10 rows + the cut-off log + the number 17.
    expect(result.deadLetters.map((d) => d.reason).sort()).toEqual(['truncated-audit', 'unknown-shape']);
    expect(report.rows.AksAudit! + report.deadLetters).toBe(result.summary.records);

    // Both in one pack, named for the batch and its first letter.
    const docs = await deadLetterDocs(azurite.current, 'deadletter-poison');
    expect(docs).toHaveLength(result.deadLetters.length);
    for (const { name, doc } of docs) {
      expect(name).toMatch(new RegExp(`^\\d{4}/\\d{2}/\\d{2}/${key}/records-0\\.json$`));
      expect(doc).toMatchObject({ kind: 'record', batchKey: key });
      expect(doc.reason).not.toBe('');
      expect(doc.position.sequenceNumber).toBe(501);
    }
    await lander.land(run(events), key);
    expect(await deadLetterDocs(azurite.current, 'deadletter-poison')).toHaveLength(docs.length);
  });
});
