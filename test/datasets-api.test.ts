// Integration: the HTTP handlers against a real Azurite (and, for queued ingestion, the real
// QueuedIngestClient talking to the loopback Kusto stand-in), with real HttpRequest/InvocationContext.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import functions from '@azure/functions';
import { BlobClient, BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../functions/config.js';
import { getDatasetFile, getHealth, getLogTypes, getSchema, postDatasets, setDatasetsConfig } from '../functions/triggers/datasets.js';
import { httpTriggers } from '../functions/triggers/registry.js';
import { queueMessages, useLandingRig } from './support/landing.js';

const rig = useLandingRig();
const { azurite } = rig;
const baseConfig = (): Record<string, string> => ({ KUBESIFT_STORAGE_CONNECTION: azurite.current.connectionString, KUBESIFT_DATASETS_CONTAINER: 'datasets' });

beforeAll(() => {
  setDatasetsConfig(loadConfig(baseConfig()));
});
afterAll(() => setDatasetsConfig(undefined));

const ctx = (): InstanceType<typeof functions.InvocationContext> => new functions.InvocationContext({ functionName: 'datasets', invocationId: 'test' });

async function post(body: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const req = new functions.HttpRequest({ method: 'POST', url: 'http://localhost/api/datasets', body: { string: typeof body === 'string' ? body : JSON.stringify(body) }, headers: { 'content-type': 'application/json' } });
  const res = await postDatasets(req, ctx());
  return { status: res.status ?? 200, json: res.jsonBody as Record<string, any> };
}

/** The datasets blob an answered URL names. */
function blobAt(url: string): BlobClient {
  const svc = BlobServiceClient.fromConnectionString(azurite.current.connectionString);
  const path = new URL(url).pathname.split('/').slice(3).join('/'); // /devstoreaccount1/<container>/<blob>
  return svc.getContainerClient('datasets').getBlobClient(decodeURIComponent(path));
}

const download = (url: string): Promise<Buffer> => blobAt(url).downloadToBuffer();

describe('POST /api/datasets', () => {
  it('streams a gzip dataset and its labels to Blob; sha256 is of the uncompressed content', async () => {
    const { status, json } = await post({ logType: 'syslog', count: 2000, seed: 0, format: 'csv', scenarios: ['ssh-brute-force', 'port-scan'] });
    expect(status).toBe(200);
    expect(json.rows).toBe(2000);
    const data = gunzipSync(await download(json.blobs.data));
    expect(data.length).toBe(json.bytes.uncompressed);
    expect(createHash('sha256').update(data).digest('hex')).toBe(json.sha256.value);
    expect(data.toString('utf8').split('\r\n').filter(Boolean).length).toBe(2001); // header + rows
    const labels = JSON.parse((await download(json.blobs.labels)).toString('utf8'));
    expect(labels.labels.map((l: { scenario: string }) => l.scenario)).toEqual(['ssh-brute-force', 'port-scan']);
    expect(json.table.name).toBe('SyslogLogs');
    expect(json.table.schema[0]).toMatch(/^\.create-merge table SyslogLogs \(TimeGenerated:datetime, RecordId:long/);
    expect(json.table.mappings.map((m: { name: string }) => m.name)).toEqual(['SyslogLogs_json', 'SyslogLogs_csv']);
    expect(json.ingestCommand).toContain(".ingest into table SyslogLogs (h'");
    expect(json.ingestCommand).toContain("ingestionMappingReference = 'SyslogLogs_csv'");
    expect(json.ingestCommand).toContain('ignoreFirstRecord = true');
    expect(json.ingestion.queued).toBe(false);
  });

  it('same request → same blob name and bytes; another seed → another blob', async () => {
    const body = { logType: 'cef', count: 500, seed: 42, start: '2024-06-01T00:00:00Z' };
    const a = await post(body);
    const b = await post(body);
    const c = await post({ ...body, seed: 43 });
    expect(a.json.blobs.data).toBe(b.json.blobs.data);
    expect(a.json.sha256.value).toBe(b.json.sha256.value);
    expect(c.json.blobs.data).not.toBe(a.json.blobs.data);
    expect(a.json.blobs.data).toMatch(/\/datasets\/cef\/[0-9a-f]{16}\/data\.log\.gz$/);
  });

  it('identical requests at once (a double-click, a client retry) all answer 200 with the same bytes', async () => {
    // One blob name per request: the writers race on it, and the first commit discards the
    // others' staged blocks (their commit fails with InvalidBlockList, a 500 before the fix).
    const body = { logType: 'syslog', count: 300, seed: 7 };
    const all = await Promise.all([post(body), post(body), post(body)]);
    expect(all.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(all.map((r) => r.json.blobs.data)).size).toBe(1);
    expect(new Set(all.map((r) => r.json.sha256.value)).size).toBe(1);
    const data = gunzipSync(await download(all[0]!.json.blobs.data));
    expect(createHash('sha256').update(data).digest('hex')).toBe(all[0]!.json.sha256.value);
    const props = await blobAt(all[0]!.json.blobs.data).getProperties();
    expect(props.metadata?.sha256).toBe(all[0]!.json.sha256.value);
  });

  it('AKS eventhub datasets land as bodies, one per line', async () => {
    const { status, json } = await post({ logType: 'aks-audit', count: 120, seed: 7, scenarios: ['privileged-pod'] });
    expect(status).toBe(200);
    const lines = gunzipSync(await download(json.blobs.data)).toString('utf8').trim().split('\n');
    expect(lines.length).toBe(3);
    expect(JSON.parse(lines[0]!).records.length).toBe(50);
    expect(json.table).toBeNull();
  });

  it.each([
    [{ logType: 'syslog', count: 0 }, 'count'],
    [{ logType: 'bogus' }, 'logType'],
    [{ logType: 'syslog', seed: 1.5 }, 'seed'],
    [{ logType: 'syslog', format: 'eventhub' }, 'format'],
    [{ logType: 'syslog', scenarios: ['privileged-pod'] }, 'scenarios'],
    [{ logType: 'windows', count: 10, scenarios: ['all'] }, 'count'],
    [{ logType: 'syslog', ingest: true }, 'ingest'],
    [{ logType: 'syslog', extra: 1 }, 'extra'],
    [{ logType: 'syslog', syslog: { protocol: 'rfc3164', colour: 1 } }, 'syslog.colour'],
    [{ logType: 'syslog', start: '2024-01-02T00:00:00Z', end: '2024-01-01T00:00:00Z' }, 'end'],
    [{ logType: 'syslog', count: 1_000_001 }, 'count'],
    [{ logType: 'syslog', format: 'csv', ingest: true }, 'ingest'], // no ADX endpoint configured
    [{ logType: 'aks-audit', ingest: true }, 'ingest'],
    ['not json', 'body'],
    [[{ logType: 'syslog' }], 'body'],
    // Times past 9999-12-31 used to throw RangeError inside the generator (a 500) or write NaN
    // dates; past 2^53 µs (2255) they lost microseconds, and an end of 9999-12-31T23:59:59.999999Z
    // rounded into year 10000; before 1970 the fraction was written negative.
    [{ logType: 'aks-audit', count: 100, rate: 1e-12 }, 'rate'],
    [{ logType: 'syslog', count: 1000, start: '2199-12-31T23:59:59Z' }, 'start'],
    [{ logType: 'syslog', count: 3, start: '9999-12-31T23:59:00Z', end: '9999-12-31T23:59:59.999999Z' }, 'start'],
    [{ logType: 'aks-audit', count: 3, start: '2024-01-01T00:00:00Z', end: '2300-01-01T00:00:00Z' }, 'end'],
    [{ logType: 'aks-audit', count: 3, start: '1969-12-31T23:59:59.5Z' }, 'start'],
    // An unknown name beside "all" used to be dropped by the expansion (a 200).
    [{ logType: 'syslog', count: 300, scenarios: ['all', 'bogus'] }, 'scenarios'],
    // Options that change nothing used to be accepted: the same bytes under a second blob name.
    [{ logType: 'syslog', syslog: { protocol: 'rfc5424', pri: false } }, 'syslog.pri'],
    [{ logType: 'syslog', syslog: { pri: false } }, 'syslog.pri'],
    [{ logType: 'cef', syslog: { protocol: 'rfc3164' } }, 'syslog'],
    [{ logType: 'aks-audit', syslog: { protocol: 'rfc5424', pri: true } }, 'syslog'],
    // RFC 3164 times are whole seconds: half a second holds none.
    [{ logType: 'syslog', syslog: { protocol: 'rfc3164' }, start: '2024-01-01T00:00:00.2Z', end: '2024-01-01T00:00:00.7Z' }, 'end'],
  ])('400 naming the field for %j', async (body, field) => {
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(json.field).toBe(field);
    expect(typeof json.error).toBe('string');
  });

  it('a missing field says "missing", not zod\'s "received undefined"', async () => {
    const { status, json } = await post({ count: 10 });
    expect(status).toBe(400);
    expect(json).toMatchObject({ field: 'logType', error: expect.stringMatching(/^logType: missing, expected one of "syslog"\|"auditd"\|/) });
  });

  it.each([
    [{ logType: 'syslog', count: 50, rate: 0 }, 'rate'],
    [{ logType: 'syslog', start: '2023-13-01' }, 'start'],
  ])('one issue for one problem in %j (a span or year-range complaint followed the field error)', async (body, field) => {
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(json.issues.map((i: { path: string[] }) => i.path.join('.'))).toEqual([field]);
  });

  it('a dataset ending just before the last accepted instant is fine, to the microsecond', async () => {
    const { status, json } = await post({ logType: 'aks-audit', count: 100, start: '2199-12-31T23:59:00.000001Z', end: '2199-12-31T23:59:59.999999Z', format: 'jsonl', seed: 3 });
    expect(status, JSON.stringify(json)).toBe(200);
    expect([json.request.start, json.request.end]).toEqual(['2199-12-31T23:59:00.000001Z', '2199-12-31T23:59:59.999999Z']);
    const lines = gunzipSync(await download(json.blobs.data)).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(100);
    expect(lines.every((l) => /"time":"2199-12-31T23:59:\d\d\.\d{7}Z"/.test(l) && /stageTimestamp\\":\\"2199-12-31T23:59:\d\d\.\d{6}Z/.test(l))).toBe(true);
  });

  it('413 for a body over 64 KB, declared or not', async () => {
    const big = JSON.stringify({ logType: 'syslog', scenarios: ['x'.repeat(70_000)] });
    expect((await post(big)).status).toBe(413);
    const req = new functions.HttpRequest({ method: 'POST', url: 'http://localhost/api/datasets', body: { string: '{}' }, headers: { 'content-type': 'application/json', 'content-length': '70000' } });
    const res = await postDatasets(req, ctx());
    expect(res).toMatchObject({ status: 413, jsonBody: { field: 'body' } });
  });
});

describe('docs/datasets.md', () => {
  it('shows the real answer to its example request: the same requestHash, folder, tags, bytes, sha256 and labels', async () => {
    const doc = readFileSync(new URL('../docs/datasets.md', import.meta.url), 'utf8');
    const body = JSON.parse(/-d '(\{"logType":"syslog","count":100000[^']*\})'/.exec(doc)![1]!) as unknown;
    const example = doc.slice(doc.indexOf('"requestHash"'), doc.indexOf('"ingestion"'));
    const { status, json } = await post(body);
    expect(status).toBe(200);
    const hashes = [...example.matchAll(/"requestHash": "(\w+)"|datasets\/syslog\/(\w+)\/|dataset:(\w+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
    // requestHash, the data and labels folders, the ingest-by tag and ingestIfNotExists (at least): all one hash.
    expect(hashes.length).toBeGreaterThanOrEqual(5);
    expect(new Set(hashes)).toEqual(new Set([json.requestHash]));
    expect(Number(/"uncompressed": (\d+)/.exec(example)![1])).toBe(json.bytes.uncompressed);
    expect(/"sha256": \{"value": "(\w+)"/.exec(example)![1]).toBe(json.sha256.value);
    expect(JSON.parse(/"labels": (\[.*\]),\n/.exec(example)![1]!)).toEqual(json.labels);
    // The download paths as the answer gives them (relative to the API base).
    expect(JSON.parse(/"downloads": (\{.*\}),\n/.exec(example)![1]!)).toEqual(json.downloads);
    // Not pinned: the gzip size, which depends on the zlib build.
  }, 60_000);
});

describe('a deployment with no storage configured', () => {
  it('still answers a bad request with 400 naming its field, and a good one with 503 saying what is missing', async () => {
    setDatasetsConfig(loadConfig({}));
    try {
      expect(await post({ logType: 'syslog', count: -1 })).toMatchObject({ status: 400, json: { field: 'count' } });
      const { status, json } = await post({ logType: 'syslog', count: 10 });
      expect(status).toBe(503);
      expect(json.error).toMatch(/^no dataset storage: no storage configured: set KUBESIFT_STORAGE_CONNECTION/);
    } finally {
      setDatasetsConfig(loadConfig(baseConfig()));
    }
  });
});

describe('a deployment with KUBESIFT_DATASET_MAX_COUNT below the default count', () => {
  it('an omitted count is the cap, not 1000 (zod does not check a default against .max)', async () => {
    setDatasetsConfig(loadConfig({ ...baseConfig(), KUBESIFT_DATASET_MAX_COUNT: '300' }));
    try {
      const { status, json } = await post({ logType: 'syslog', seed: 4 });
      expect(status, JSON.stringify(json)).toBe(200);
      expect([json.request.count, json.events]).toEqual([300, 300]);
      expect(await post({ logType: 'syslog', count: 301 })).toMatchObject({ status: 400, json: { field: 'count' } });
    } finally {
      setDatasetsConfig(loadConfig(baseConfig()));
    }
  });
});

describe('queued ingestion into ADX', () => {
  it('queues the CSV blob with its mapping, header skipped and idempotency tag; answers the ingestion id', async () => {
    setDatasetsConfig(loadConfig({ ...baseConfig(), KUBESIFT_KUSTO_INGEST_URL: rig.standIn.url, KUBESIFT_KUSTO_AUTH: 'none' }));
    try {
      const { status, json } = await post({ logType: 'windows', count: 300, seed: 0, format: 'csv', scenarios: ['password-spray'], ingest: true });
      expect(status).toBe(200);
      expect(json.ingestion.queued).toBe(true);
      expect(json.ingestion.ingestionId).toMatch(/^[0-9a-f-]{36}$/);
      const [m, ...rest] = await queueMessages(azurite.current, rig.standIn.queueName);
      expect(rest).toEqual([]);
      expect(m!.Id).toBe(json.ingestion.ingestionId);
      expect(m!.TableName).toBe('WindowsSecurityLogs');
      expect(m!.AdditionalProperties).toMatchObject({ format: 'csv', ingestionMappingReference: 'WindowsSecurityLogs_csv', ignoreFirstRecord: true, ingestIfNotExists: JSON.stringify([`dataset:${json.requestHash}`]) });
      expect(JSON.parse(m!.AdditionalProperties.tags!)).toEqual([`ingest-by:dataset:${json.requestHash}`, 'kubesift:dataset']);
      // The cluster gets a read-only SAS on the data blob (an account key is in use); the response shows none.
      const sas = new URL(m!.BlobPath);
      expect(`${sas.origin}${sas.pathname}`).toBe(json.blobs.data);
      expect(sas.searchParams.get('sp')).toBe('r');
      expect(JSON.stringify(json)).not.toContain('sig=');
      expect(gunzipSync(await new BlobClient(m!.BlobPath).downloadToBuffer()).length).toBe(json.bytes.uncompressed);
      expect((m as unknown as { RawDataSize: number }).RawDataSize).toBe(json.bytes.uncompressed);
      // The command shown to the user carries the same tag, so running it after the queue is a no-op.
      expect(json.ingestCommand).toContain(`ingestIfNotExists = '["dataset:${json.requestHash}"]'`);
    } finally {
      setDatasetsConfig(loadConfig(baseConfig()));
    }
  });

  it('ingest:false writes the blob only', async () => {
    const { json } = await post({ logType: 'verifone', count: 50, seed: 3, format: 'jsonl', ingest: false });
    expect(json.ingestion).toEqual({ queued: false });
    expect(json.ingestCommand).toContain("format = 'multijson'");
  });
});

/** GET /api/<path> through the download handler, with the route values the host binds (decoded). */
async function fetchFile(path: string): Promise<{ status: number; headers: Record<string, string>; bytes: Buffer; json?: Record<string, any> }> {
  const [logType = '', hash = '', file = ''] = path.split('/').slice(1).map(decodeURIComponent);
  const req = new functions.HttpRequest({ method: 'GET', url: `http://localhost/api/${path}`, params: { logType, hash, file } });
  const res = await getDatasetFile(req);
  const headers = Object.fromEntries(Object.entries((res.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
  if (res.jsonBody !== undefined) return { status: res.status ?? 200, headers, bytes: Buffer.alloc(0), json: res.jsonBody as Record<string, any> };
  return { status: res.status ?? 200, headers, bytes: Buffer.concat((await (res.body as Readable).toArray()) as Buffer[]) };
}

describe('GET /api/datasets/{logType}/{hash}/{file} (the blob URLs are private: the page downloads through the app)', () => {
  it('is registered behind the function key like the other dataset routes', () => {
    const def = httpTriggers.find((t) => t.name === 'datasetFiles');
    expect(def?.options).toMatchObject({ route: 'datasets/{logType}/{hash}/{file}', methods: ['GET'], authLevel: 'function' });
  });

  it('streams the data and labels files the answer names, with type and file name', async () => {
    const { json } = await post({ logType: 'windows', count: 300, seed: 5, format: 'csv', scenarios: ['password-spray'] });
    expect(json.downloads).toEqual({ data: `datasets/windows/${json.requestHash}/data.csv.gz`, labels: `datasets/windows/${json.requestHash}/labels.json` });
    const data = await fetchFile(json.downloads.data);
    expect(data.status).toBe(200);
    expect(data.bytes.equals(await download(json.blobs.data))).toBe(true);
    expect(createHash('sha256').update(gunzipSync(data.bytes)).digest('hex')).toBe(json.sha256.value);
    expect(data.headers).toMatchObject({
      'content-type': 'application/gzip',
      'content-disposition': `attachment; filename="windows-${json.requestHash}-data.csv.gz"`,
      'content-length': String(data.bytes.length),
      'x-content-type-options': 'nosniff',
    });
    const labels = await fetchFile(json.downloads.labels);
    expect(labels.headers['content-type']).toBe('application/json');
    expect(JSON.parse(labels.bytes.toString('utf8')).labels[0].scenario).toBe('password-spray');
    // Every extension the generator writes is a known name (windows raw is .xml.log).
    const raw = await post({ logType: 'windows', count: 20, seed: 5 });
    expect(raw.json.downloads.data).toMatch(/\/data\.xml\.log\.gz$/);
    expect((await fetchFile(raw.json.downloads.data)).status).toBe(200);
  });

  it('404 for a dataset that was never generated', async () => {
    const res = await fetchFile('datasets/syslog/0123456789abcdef/data.log.gz');
    expect(res.status).toBe(404);
    expect(res.json?.error).toMatch(/^no dataset file syslog\/0123456789abcdef\/data\.log\.gz/);
  });

  it.each([
    ['datasets/bogus/0123456789abcdef/labels.json', 'logType'],
    ['datasets/__proto__/0123456789abcdef/labels.json', 'logType'],
    ['datasets/syslog/0123456789ABCDEF/labels.json', 'hash'],
    ['datasets/syslog/..%2F..%2Fx/labels.json', 'hash'],
    ['datasets/syslog/0123456789abcde/labels.json', 'hash'],
    ['datasets/syslog/0123456789abcdef/..%2Flabels.json', 'file'],
    ['datasets/syslog/0123456789abcdef/data.exe.gz', 'file'],
    ['datasets/syslog/0123456789abcdef/data.xml.log.gz', 'file'], // windows only
    ['datasets/syslog/0123456789abcdef/data.eventhub.jsonl.gz', 'file'], // AKS only
  ])('400 naming the parameter for %s', async (path, field) => {
    const res = await fetchFile(path);
    expect(res.status).toBe(400);
    expect(res.json?.field).toBe(field);
  });
});

describe('GET endpoints', () => {
  it('log types carry the deployment\'s ingest default, so the page starts from it instead of overriding it', async () => {
    setDatasetsConfig(loadConfig({ ...baseConfig(), KUBESIFT_INGEST_DATASETS: 'true' }));
    try {
      expect(((await getLogTypes()).jsonBody as { defaults: unknown }).defaults).toEqual({ ingest: true });
    } finally {
      setDatasetsConfig(loadConfig(baseConfig()));
    }
  });

  it('log types, schemas and health', async () => {
    const lt = (await getLogTypes()).jsonBody as { logTypes: { name: string; scenarios: unknown[] }[]; defaults: { ingest: boolean } };
    expect(lt.logTypes.map((t) => t.name)).toEqual(['syslog', 'auditd', 'cef', 'windows', 'verifone', 'aks-audit', 'aks-apiserver', 'aks-diagnostics']);
    expect(lt.defaults).toEqual({ ingest: false });
    const sch = await getSchema(new functions.HttpRequest({ method: 'GET', url: 'http://localhost/api/schemas/windows', params: { logType: 'windows' } }));
    expect(sch.status).toBe(200);
    expect((sch.jsonBody as { tableInfo: { name: string } }).tableInfo.name).toBe('WindowsSecurityLogs');
    const missing = await getSchema(new functions.HttpRequest({ method: 'GET', url: 'http://localhost/api/schemas/x', params: { logType: 'x' } }));
    expect(missing).toMatchObject({ status: 404, jsonBody: { error: 'unknown log type "x"', field: 'logType' } });
    // A long name is not echoed whole.
    const long = await getSchema(new functions.HttpRequest({ method: 'GET', url: 'http://localhost/api/schemas/y', params: { logType: 'y'.repeat(20_000) } }));
    expect((long.jsonBody as { error: string }).error).toBe(`unknown log type "${'y'.repeat(40)}"`);
    expect((await getHealth()).status).toBe(200);
  });
});

describe('dataset storage that refuses', () => {
  it('is a 502 naming the container and host (never the key), for a write and for a download; it was a bare 500', async () => {
    const { createServer } = await import('node:http');
    const { postDataset, getDatasetFile } = await import('../functions/generate/api.js');
    const server = createServer((_req, res) => res.writeHead(403, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>AuthorizationFailure</Code><Message>nope</Message></Error>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const key = 'c2VjcmV0LWtleS1vZi10aGlzLWFjY291bnQ=';
    try {
      const container = () => BlobServiceClient.fromConnectionString(`DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/acct;`).getContainerClient('datasets');
      const config = loadConfig({ KUBESIFT_INGEST_DATASETS: 'false' });
      const wrote = await postDataset({ logType: 'syslog', count: 10, seed: 1 }, config, container);
      expect(wrote.status).toBe(502);
      expect((wrote.body as { error: string }).error).toMatch(new RegExp(`^could not write the dataset to Blob storage \\(container datasets at 127\\.0\\.0\\.1:${port}\\): `));
      expect(JSON.stringify(wrote.body)).not.toContain(key);
      const read = await getDatasetFile({ logType: 'syslog', hash: '0123456789abcdef', file: 'labels.json' }, container);
      expect(read.status).toBe(502);
      expect(((read as { body: unknown }).body as { error: string }).error).toMatch(/^could not read the dataset from Blob storage \(container datasets at /);
    } finally {
      server.close();
    }
  });
});
