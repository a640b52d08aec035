// queued sink: the REAL QueuedIngestClient against a loopback Kusto stand-in + Azurite.
// Asserts the uploaded blob (rows, gzip, multijson) and the queue message (database, table,
// format, mapping reference, ingest-by tags, ingestIfNotExists), and shows that landing the
// same batch twice adds no rows once ADX applies ingestIfNotExists.
import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { BlobClient, BlobServiceClient } from '@azure/storage-blob';
import { createLander, type ClosableLander } from '../functions/land/index.js';
import { blobUriForIngestion, ingestFromBlob } from '../functions/land/ingestBlob.js';
import { loadConfig } from '../functions/config.js';
import { batchKey } from '../functions/pipeline.js';
import { aksEvents } from './support/aksEvents.js';
import { ingested } from './support/adxMapping.js';
import { applyLikeAdx, configFor, expectedRows, landedRows, queueMessages, run, useLandingRig } from './support/landing.js';

const rig = useLandingRig();
const { azurite } = rig;

function queuedLander(): ClosableLander {
  const l = createLander('queued', { config: configFor(azurite.current, { KUBESIFT_SINK: 'queued', KUBESIFT_KUSTO_INGEST_URL: rig.standIn.url }) });
  rig.track(l);
  return l;
}

async function readBlob(path: string): Promise<Record<string, unknown>[]> {
  const buf = await new BlobClient(path).downloadToBuffer(); // the SAS URL the message carries
  expect(buf.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip magic
  return gunzipSync(buf)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('queued sink (real QueuedIngestClient)', () => {
  it('uploads gzipped multijson and queues a tagged, mapped ingestion per table', async () => {
    const events = aksEvents({ audit: 30, lines: 12, events: 2, seed: 'a0e0e001' });
    const result = run(events);
    const key = batchKey(events);
    const report = await queuedLander().land(result, key);
    expect(landedRows(report)).toBe(expectedRows(result));

    expect(rig.standIn.commands.map((c) => c.csl.trim())).toEqual(expect.arrayContaining(['.get ingestion resources', '.get kusto identity token']));
    const messages = await queueMessages(azurite.current, rig.standIn.queueName);
    const tables = ['AksAudit', 'AksControlPlane', 'Detections'].filter((t) => t !== 'Detections' || result.detections.length > 0);
    expect(messages.map((m) => m.TableName).sort()).toEqual(tables.sort());
    for (const m of messages) {
      expect(m.DatabaseName).toBe('kubesift');
      expect(m.AdditionalProperties).toMatchObject({
        format: 'multijson',
        ingestionMappingReference: `${m.TableName}_json`,
        tags: JSON.stringify([`ingest-by:${key}/${m.TableName}`]),
        ingestIfNotExists: JSON.stringify([`${key}/${m.TableName}`]),
        authorizationContext: 'stand-in-authorization-context',
      });
      expect(m.BlobPath).toContain(`/${rig.standIn.containerName}/kubesift__${m.TableName}__`);
      const rows = (await readBlob(m.BlobPath)).map((l) => ingested(m.TableName, l));
      expect(rows).toHaveLength(m.TableName === 'AksAudit' ? 30 : m.TableName === 'AksControlPlane' ? 12 : result.detections.length);
      if (m.TableName === 'AksAudit') expect(new Set(rows.map((r) => r.AuditId)).size).toBe(30);
    }
  });

  it('the same batch landed twice adds no rows (ingestIfNotExists), a different batch does', async () => {
    const lander = queuedLander();
    const events = aksEvents({ audit: 20, lines: 5, events: 2, seed: 'a0e0e002', firstSequence: 900 });
    const other = aksEvents({ audit: 7, lines: 0, events: 1, seed: 'a0e0e003', firstSequence: 950 });
    await lander.land(run(events), batchKey(events));
    await lander.land(run(events), batchKey(events)); // redelivery: same positions
    await lander.land(run(other), batchKey(other));
    const messages = await queueMessages(azurite.current, rig.standIn.queueName);
    expect(messages.filter((m) => m.TableName === 'AksAudit')).toHaveLength(3); // the client sends; ADX decides
    const tables = await applyLikeAdx(messages, readBlob);
    const audit = tables.get('AksAudit')!;
    expect(audit).toHaveLength(27);
    expect(new Set(audit.map((r) => `${String(r.AuditId)}|${String(r.Stage)}`)).size).toBe(27);
    expect(tables.get('AksControlPlane')).toHaveLength(5);
  });

  it('KUBESIFT_INGEST_TAGS=off: no tags, so a redelivered batch lands again and only the Unique-view key collapses it', async () => {
    const config = configFor(azurite.current, { KUBESIFT_SINK: 'queued', KUBESIFT_KUSTO_INGEST_URL: rig.standIn.url, KUBESIFT_INGEST_TAGS: 'off' });
    const lander = createLander('queued', { config });
    rig.track(lander);
    const events = aksEvents({ audit: 20, lines: 5, events: 2, seed: 'a0e0e004', firstSequence: 1200 });
    await lander.land(run(events), batchKey(events));
    await lander.land(run(events), batchKey(events)); // redelivery
    const messages = await queueMessages(azurite.current, rig.standIn.queueName);
    expect(messages.length).toBeGreaterThanOrEqual(4);
    for (const m of messages) {
      expect(m.AdditionalProperties.tags, m.TableName).toBeUndefined();
      expect(m.AdditionalProperties.ingestIfNotExists, m.TableName).toBeUndefined();
      expect(m.AdditionalProperties).toMatchObject({ format: 'multijson', ingestionMappingReference: `${m.TableName}_json` });
    }
    const audit = (await applyLikeAdx(messages, readBlob)).get('AksAudit')!;
    expect(audit).toHaveLength(40);
    expect(new Set(audit.map((r) => `${String(r.AuditId)}|${String(r.Stage)}`)).size).toBe(20);
    expect(() => configFor(azurite.current, { KUBESIFT_SINK: 'queued', KUBESIFT_KUSTO_INGEST_URL: rig.standIn.url, KUBESIFT_INGEST_TAGS: 'sometimes' })).toThrow(/KUBESIFT_INGEST_TAGS/);
  });

  it('ingestFromBlob queues an existing blob with mapping and tags, without uploading', async () => {
    const config = configFor(azurite.current, { KUBESIFT_SINK: 'queued', KUBESIFT_KUSTO_INGEST_URL: rig.standIn.url });
    const datasets = BlobServiceClient.fromConnectionString(azurite.current.connectionString).getContainerClient('datasets');
    await datasets.createIfNotExists();
    const blob = datasets.getBlockBlobClient('syslog/seed-1.csv.gz');
    await blob.uploadData(Buffer.from('x'));
    const { ingestionId } = await ingestFromBlob(config, { blobUri: blob.url, table: 'SyslogLogs', format: 'csv', mappingName: 'SyslogLogs_csv', rawSizeBytes: 1234, tags: ['ingest-by:dataset-syslog-seed-1', 'kubesift:dataset'] });
    expect(ingestionId).toMatch(/^[0-9a-f-]{36}$/);
    const [m, ...rest] = await queueMessages(azurite.current, rig.standIn.queueName);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ BlobPath: blob.url, TableName: 'SyslogLogs', Id: ingestionId, AdditionalProperties: { format: 'csv', ingestionMappingReference: 'SyslogLogs_csv', ingestIfNotExists: '["dataset-syslog-seed-1"]' } });
    expect(JSON.parse(m!.AdditionalProperties.tags!)).toEqual(['ingest-by:dataset-syslog-seed-1', 'kubesift:dataset']);
    expect((m as unknown as { RawDataSize: number }).RawDataSize).toBe(1234);
  });

  it('bare blob URLs get the cluster identity suffix only when storage uses managed identity', () => {
    const mi = loadConfig({ KUBESIFT_STORAGE_ACCOUNT: 'kubesiftdata' });
    const local = configFor(azurite.current, {});
    const url = 'https://kubesiftdata.blob.core.windows.net/datasets/a.csv.gz';
    expect(blobUriForIngestion(mi, url)).toBe(`${url};managed_identity=system`);
    expect(blobUriForIngestion(mi, `${url}?sv=1&sig=x`)).toBe(`${url}?sv=1&sig=x`);
    expect(blobUriForIngestion(local, url)).toBe(url);
  });
});
