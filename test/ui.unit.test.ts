// Unit tests for the web page's server side: headers, routes, static assets, the preview
// and the detections query. The browser behaviour is in test/ui.e2e.test.ts.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import functions from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { writeDataset, resolveRequest, DatasetRequest } from '../functions/generate/index.js';
import { CONTENT_SECURITY_POLICY, pagePaths } from '../functions/ui/assets.js';
import { histogram, parseDetectionsQuery, QueryError, queryDetections, type DetectionView } from '../functions/ui/detectionsQuery.js';
import { detections, uiAsset, uiPage, uiPreview } from '../functions/ui/handlers.js';
import { isDetectionsBlob, MAX_BLOBS, parseLandedFile, readLandedDetections } from '../functions/ui/landedDetections.js';
import { useAzurite } from './support/azurite.js';
import { previewLines } from '../functions/ui/preview.js';
import { httpTriggers } from '../functions/triggers/registry.js';
import '../functions/triggers/ui.js';

const { HttpRequest, InvocationContext } = functions;

function get(url: string, params: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return new HttpRequest({ method: 'GET', url, params, headers });
}
function post(url: string, body: unknown) {
  return new HttpRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: { string: typeof body === 'string' ? body : JSON.stringify(body) } });
}
const ctx = () => new InvocationContext({ functionName: 'test', invocationId: 'test' });
const header = (r: HttpResponseInit, name: string) => new Headers(r.headers as Record<string, string>).get(name);

describe('routes', () => {
  it('registers the page and assets anonymous and the data routes behind the function key', () => {
    const byName = Object.fromEntries(httpTriggers.map((t) => [t.name, t.options]));
    expect(byName.ui).toMatchObject({ route: 'ui', methods: ['GET'], authLevel: 'anonymous' });
    expect(byName.uiAssets).toMatchObject({ route: 'ui/assets/{name}', methods: ['GET'], authLevel: 'anonymous' });
    expect(byName.uiPreview).toMatchObject({ route: 'ui/preview', methods: ['POST'], authLevel: 'function' });
    expect(byName.detections).toMatchObject({ route: 'detections', methods: ['GET'], authLevel: 'function' });
  });
});

describe('page and assets', () => {
  it('serves the page with a strict CSP and nosniff', async () => {
    const res = await uiPage(get('http://localhost:7071/api/ui'));
    expect(res.status).toBe(200);
    expect(header(res, 'content-type')).toBe('text/html; charset=utf-8');
    const csp = header(res, 'content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(header(res, 'x-content-type-options')).toBe('nosniff');
    expect(header(res, 'referrer-policy')).toBe('no-referrer');
    const html = String(res.body);
    expect(html).toContain('src="/api/ui/assets/app.js"');
    expect(html).toContain('data-api="/api"');
    expect(html).not.toContain('%BASE%');
  });

  it('has no inline script or style and no external URLs anywhere in the page', () => {
    const dir = new URL('../functions/ui/assets/', import.meta.url);
    const html = readFileSync(new URL('index.html', dir), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is external (same origin)
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    for (const f of ['index.html', 'app.css', 'app.js']) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      const urls = [...text.matchAll(/https?:\/\/[^\s'"`)]+/g)].map((m) => m[0]);
      expect(urls.filter((u) => u !== 'http://www.w3.org/2000/svg'), f).toEqual([]);
      expect(text, f).not.toMatch(/@import|@font-face|url\(/);
    }
  });

  it('fills the base path from the request path and refuses odd characters', () => {
    expect(pagePaths('/api/ui/')).toEqual({ base: '/api/ui', api: '/api' });
    expect(pagePaths('/ui')).toEqual({ base: '/ui', api: '' });
    expect(pagePaths('/api/"><script>/ui')).toEqual({ base: '/api/ui', api: '/api' });
  });

  it('serves known assets with their types and 404s anything else', async () => {
    const js = await uiAsset(get('http://localhost/api/ui/assets/app.js', { name: 'app.js' }));
    expect(js.status).toBe(200);
    expect(header(js, 'content-type')).toBe('text/javascript; charset=utf-8');
    expect(header(js, 'content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(header(js, 'x-content-type-options')).toBe('nosniff');
    const css = await uiAsset(get('http://localhost/api/ui/assets/app.css', { name: 'app.css' }));
    expect(header(css, 'content-type')).toBe('text/css; charset=utf-8');
    for (const name of ['../handlers.ts', 'index.html', 'tsconfig.json', 'constructor', '__proto__']) {
      expect((await uiAsset(get('http://localhost/x', { name }))).status, name).toBe(404);
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await uiAsset(get('http://localhost/x', { name: 'app.css' }));
    const etag = header(first, 'etag') ?? '';
    expect(etag).toMatch(/^"/);
    const again = await uiAsset(get('http://localhost/x', { name: 'app.css' }, { 'if-none-match': etag }));
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
  });

  it('type-checks the browser script against the DOM (JSDoc + checkJs)', async () => {
    const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname;
    const run = promisify(execFile);
    const res = await run(process.execPath, [tsc, '-p', 'functions/ui/assets/tsconfig.json']).catch((e: { stdout: string }) => e);
    expect(res.stdout).toBe('');
  });
});

describe('preview', () => {
  it('gives the first lines of exactly the dataset the same request writes', async () => {
    const body = { logType: 'syslog', count: 5000, seed: 7, end: '2024-01-01T01:00:00Z', scenarios: ['all'] } as const;
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeDataset(resolveRequest(DatasetRequest.parse(body)), out);
    const full = Buffer.concat(chunks).toString('utf8').split('\n');
    const p = previewLines(DatasetRequest.parse(body), 20);
    expect(p.lines).toHaveLength(20);
    expect(p.lines).toEqual(full.slice(0, 20));
  });

  it('includes a csv header and stops early for a huge count', () => {
    const started = Date.now();
    const p = previewLines(DatasetRequest.parse({ logType: 'syslog', count: 1_000_000, seed: 0, format: 'csv' }), 5);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(p.format).toBe('csv');
    expect(p.lines).toHaveLength(5);
    expect(p.lines[0]).toMatch(/^[A-Za-z"]/);
    expect(p.lines[0]).toContain('TimeGenerated');
  });

  it('gives CSV lines (CRLF) without their terminator, as the dataset holds them', async () => {
    const body = { logType: 'windows', count: 200, seed: 3, format: 'csv' } as const;
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeDataset(resolveRequest(DatasetRequest.parse(body)), out);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toContain('\r\n');
    const p = previewLines(DatasetRequest.parse(body), 12);
    // Physical lines: a record ends in CRLF, a quoted value may hold a bare LF (PrivilegeList).
    expect(p.lines).toEqual(text.split(/\r?\n/).slice(0, 12));
    expect(p.lines.some((l) => l.includes('\r'))).toBe(false);
  });

  it('returns the handler result and names the bad field on 400', async () => {
    const ok = await uiPreview(post('http://localhost/api/ui/preview', { logType: 'syslog', count: 10, seed: 1 }), ctx());
    expect(ok.status).toBe(200);
    expect(JSON.parse(String(ok.body)).lines).toHaveLength(10);
    const bad = await uiPreview(post('http://localhost/api/ui/preview', { logType: 'syslog', count: 0 }), ctx());
    expect(bad.status).toBe(400);
    expect(JSON.parse(String(bad.body)).issues[0].path).toBe('count');
    const notJson = await uiPreview(post('http://localhost/api/ui/preview', '{'), ctx());
    expect(notJson.status).toBe(400);
    // Past year 9999: a 400 naming rate (the generator used to throw: a 500).
    const late = await uiPreview(post('http://localhost/api/ui/preview', { logType: 'aks-audit', count: 100, rate: 1e-12 }), ctx());
    expect(late.status).toBe(400);
    expect(JSON.parse(String(late.body)).issues[0].path).toBe('rate');
    // The limit is in bytes: 6,000 three-byte characters are 18,000 bytes.
    const wide = await uiPreview(post('http://localhost/api/ui/preview', { logType: 'syslog', scenarios: ['€'.repeat(6000)] }), ctx());
    expect(wide.status).toBe(413);
    expect(JSON.parse(String(wide.body)).issues).toEqual([{ path: '', message: expect.stringMatching(/^body larger than \d+ bytes$/) }]);
  });

  it('refuses ingest:true as Generate does: no ingest endpoint, or a format that is not table rows (it answered 200)', async () => {
    const saved = process.env.KUBESIFT_KUSTO_INGEST_URL;
    const preview = async (body: unknown) => {
      const res = await uiPreview(post('http://localhost/api/ui/preview', body), ctx());
      return { status: res.status, body: JSON.parse(String(res.body)) as { error: string; issues: { path: string; message: string }[] } };
    };
    try {
      delete process.env.KUBESIFT_KUSTO_INGEST_URL;
      const none = await preview({ logType: 'syslog', count: 10, format: 'csv', ingest: true });
      expect(none.status).toBe(400);
      expect(none.body.issues).toEqual([{ path: 'ingest', message: 'this deployment has no ADX ingestion endpoint (KUBESIFT_KUSTO_INGEST_URL)' }]);
      // ingest:false, or left to the deployment's default, previews as before.
      expect((await preview({ logType: 'syslog', count: 10, format: 'csv', ingest: false })).status).toBe(200);
      expect((await preview({ logType: 'syslog', count: 10, format: 'csv' })).status).toBe(200);
      process.env.KUBESIFT_KUSTO_INGEST_URL = 'https://ingest-example.westeurope.kusto.windows.net';
      expect((await preview({ logType: 'syslog', count: 10, format: 'csv', ingest: true })).status).toBe(200);
      const raw = await preview({ logType: 'syslog', count: 10, format: 'raw', ingest: true });
      expect(raw.status).toBe(400);
      expect(raw.body.issues[0]).toEqual({ path: 'ingest', message: 'format raw is not table rows: use csv or jsonl to ingest' });
      expect((await preview({ logType: 'aks-audit', count: 10, ingest: true })).body.issues[0]?.path).toBe('ingest');
    } finally {
      if (saved === undefined) delete process.env.KUBESIFT_KUSTO_INGEST_URL;
      else process.env.KUBESIFT_KUSTO_INGEST_URL = saved;
    }
  });
});

const base: DetectionView = {
  TimeGenerated: '2024-01-01T00:00:00.000000Z', RuleId: 'r1', Rule: 'Rule one', Priority: 'WARNING', Source: 'k8s-audit',
  Cluster: 'c', Namespace: 'default', User: 'alice', Resource: 'pods', Name: 'p', Verb: 'create', Operation: '', Action: '', Output: 'o',
};
const rows: DetectionView[] = [
  base,
  { ...base, TimeGenerated: '2024-01-01T00:10:00.000000Z', RuleId: 'r2', Rule: 'Rule two', Priority: 'CRITICAL', User: 'bob' },
  { ...base, TimeGenerated: '2024-01-01T00:20:00.000000Z', Source: 'falco', Action: 'Audit', Operation: 'Process', Namespace: 'prod' },
  { ...base, TimeGenerated: '2024-01-01T00:30:00.000000Z', Source: 'kubearmor', Action: 'Block', Priority: 'NOTICE', Namespace: 'prod' },
  { ...base, TimeGenerated: '2024-01-01T00:40:00.000000Z', Source: 'apiserver', Priority: 'INFORMATIONAL', User: 'system:anonymous', Cluster: 'prod-east' },
];

describe('detections query', () => {
  it('filters by each field, rule by name or id, newest first', () => {
    const q = (s: string) => queryDetections(rows, parseDetectionsQuery(new URLSearchParams(s)));
    expect(q('').matched).toBe(5);
    expect(q('').detections.map((d) => d.TimeGenerated?.slice(11, 16))).toEqual(['00:40', '00:30', '00:20', '00:10', '00:00']);
    expect(q('priority=CRITICAL').detections.map((d) => d.User)).toEqual(['bob']);
    expect(q('rule=Rule%20two').matched).toBe(1);
    expect(q('rule=r2').matched).toBe(1);
    expect(q('namespace=prod').matched).toBe(2);
    expect(q('user=system:anonymous').detections[0]?.Source).toBe('apiserver');
    expect(q('source=kubearmor').detections[0]?.Action).toBe('Block');
    expect(q('action=Audit&source=falco').matched).toBe(1);
    expect(q('action=Audit&source=kubearmor').matched).toBe(0);
    expect(q('limit=2').detections).toHaveLength(2);
    expect(q('limit=2').matched).toBe(5);
  });

  it('an empty filter value ("(none)" on the page) matches the rows where that field is empty; an absent one matches all', () => {
    const withEmpty: DetectionView[] = [...rows, { ...base, RuleId: 'r3', Rule: 'Cluster scoped', Namespace: '', User: '' }];
    const q = (s: string) => queryDetections(withEmpty, parseDetectionsQuery(new URLSearchParams(s)));
    expect(q('').matched).toBe(6);
    expect(q('namespace=').detections.map((d) => d.RuleId)).toEqual(['r3']);
    expect(q('namespace=&user=').matched).toBe(1);
    expect(q('namespace=prod').matched).toBe(2);
    // The facet lists '' exactly as it is passed back.
    expect(q('').facets.namespace).toEqual(['', 'default', 'prod']);
    expect(q('action=').matched).toBe(4);
  });

  it('priority ignores case (Falco writes Warning, the packs WARNING); a misspelt parameter is a 400 naming it, not a filter that matches everything', async () => {
    const q = (s: string) => queryDetections(rows, parseDetectionsQuery(new URLSearchParams(s)));
    expect(q('priority=critical').detections.map((d) => d.User)).toEqual(['bob']);
    expect(q('priority=Critical').matched).toBe(q('priority=CRITICAL').matched);
    // Other filters stay exact.
    expect(q('namespace=PROD').matched).toBe(0);
    // The function key may ride in ?code=, as the host reads it.
    expect(q('code=abc&priority=CRITICAL').matched).toBe(1);
    const res = await detections(get('http://localhost/api/detections?prioity=CRITICAL'), ctx());
    expect(res.status).toBe(400);
    expect(JSON.parse(String(res.body))).toEqual({ error: expect.stringMatching(/^unknown parameter "prioity" \(filters: cluster, priority, rule, namespace, user, source, action; and limit\)/), field: 'prioity' });
  });

  it('filters by cluster (every row has one); a parameter given twice is a 400 naming it (the first was used, the other dropped)', async () => {
    const q = (s: string) => queryDetections(rows, parseDetectionsQuery(new URLSearchParams(s)));
    expect(q('cluster=prod-east').detections.map((d) => d.User)).toEqual(['system:anonymous']);
    expect(q('').facets.cluster).toEqual([...new Set(rows.map((r) => r.Cluster))].sort());
    for (const [query, field] of [['priority=ERROR&priority=WARNING', 'priority'], ['limit=5&limit=6', 'limit']] as const) {
      const res = await detections(get(`http://localhost/api/detections?${query}`), ctx());
      expect(res.status, query).toBe(400);
      expect(JSON.parse(String(res.body))).toEqual({ error: `${field} given 2 times: each parameter takes one value`, field });
    }
  });

  it('a limit that is not an integer from 1 to 1000 is a 400 naming it, not quietly replaced', async () => {
    for (const bad of ['abc', '0', '5000', '-1', '1.5', '', ' 5', '1e3']) {
      expect(() => parseDetectionsQuery(new URLSearchParams({ limit: bad })), bad).toThrow(QueryError);
      const res = await detections(get(`http://localhost/api/detections?limit=${encodeURIComponent(bad)}`), ctx());
      expect(res.status, bad).toBe(400);
      expect(JSON.parse(String(res.body)), bad).toEqual({ error: expect.stringMatching(/^limit must be an integer from 1 to 1000, got /), field: 'limit' });
    }
    expect(parseDetectionsQuery(new URLSearchParams('limit=1000')).limit).toBe(1000);
    expect(parseDetectionsQuery(new URLSearchParams('limit=1')).limit).toBe(1);
    expect(parseDetectionsQuery(new URLSearchParams('')).limit).toBe(200);
  });

  it('facets cover all rows (not only matches) with priorities in severity order', () => {
    const a = queryDetections(rows, parseDetectionsQuery(new URLSearchParams('source=falco')));
    expect(a.total).toBe(5);
    expect(a.facets.priority).toEqual(['CRITICAL', 'WARNING', 'NOTICE', 'INFORMATIONAL']);
    expect(a.facets.source).toEqual(['apiserver', 'falco', 'k8s-audit', 'kubearmor']);
    expect(a.facets.action).toEqual(['', 'Audit', 'Block']);
  });

  it('buckets matching rows by a readable width with empty buckets kept', () => {
    const hgram = histogram(rows);
    expect(hgram.bucketMs).toBe(60_000);
    expect(hgram.buckets).toHaveLength(41);
    expect(hgram.buckets.reduce((s, b) => s + b.count, 0)).toBe(5);
    expect(hgram.buckets[0]).toEqual({ start: '2024-01-01T00:00:00.000Z', count: 1 });
    const wide = histogram([base, { ...base, TimeGenerated: '2024-01-03T00:00:00Z' }]);
    expect(wide.bucketMs).toBe(10_800_000); // 49 hourly bars would exceed 48 → 3 h
    // The detections' own first and last times, not the first bar's aligned start.
    const month = histogram([{ ...base, TimeGenerated: '2024-01-01T10:00:00Z' }, { ...base, TimeGenerated: '2025-04-20T10:00:00Z' }]);
    expect(month.bucketMs).toBe(2_592_000_000);
    expect(month.buckets[0]!.start < '2024-01-01').toBe(true);
    expect([month.from, month.to]).toEqual(['2024-01-01T10:00:00.000Z', '2025-04-20T10:00:00.000Z']);
    expect(histogram([]).buckets).toEqual([]);
    // Go's zero time beside today's rows: still at most 48 bars, every row counted.
    const far = histogram([base, { ...base, TimeGenerated: '0001-01-01T00:00:00Z' }, { ...base, TimeGenerated: '9999-12-31T23:59:59Z' }]);
    expect(far.buckets.length).toBeLessThanOrEqual(48);
    expect(far.buckets.reduce((s, b) => s + b.count, 0)).toBe(3);
    expect(far.bucketMs % 86_400_000).toBe(0);
    // More rows than a call can take as spread arguments.
    const many = histogram(Array.from({ length: 200_000 }, (_, i) => ({ ...base, TimeGenerated: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() })));
    expect(many.buckets.reduce((s, b) => s + b.count, 0)).toBe(200_000);
  });

  it('reads landed files: gzip or plain, JSON lines or array; only Detections blobs', () => {
    const lines = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    expect(parseLandedFile(gzipSync(lines))).toHaveLength(5);
    expect(parseLandedFile(Buffer.from(JSON.stringify(rows)))).toHaveLength(5);
    expect(isDetectionsBlob('Detections/2024/01/01/batch.json.gz')).toBe(true);
    expect(isDetectionsBlob('blob/Detections_0001.multijson.gz')).toBe(true);
    expect(isDetectionsBlob('AksAudit/2024/01/01/batch.json.gz')).toBe(false);
    expect(isDetectionsBlob('Detections/2024/01/01/batch.ingest.kql')).toBe(false);
  });

  it('says where detections are when storage is not configured', async () => {
    const saved = { ...process.env };
    delete process.env.KUBESIFT_STORAGE_CONNECTION;
    delete process.env.KUBESIFT_STORAGE_ACCOUNT;
    try {
      const res = await detections(get('http://localhost/api/detections'), ctx());
      expect(res.status).toBe(200);
      const body = JSON.parse(String(res.body));
      expect(body.total).toBe(0);
      expect(body.note).toMatch(/No storage configured/);
    } finally {
      process.env = saved;
    }
  });
});

describe('landed detections past the read bounds', () => {
  const azurite = useAzurite();

  it("say that older files were left out (the counts read as everything: the demo's cluster vanished behind 200 newer alerts)", async () => {
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const container = BlobServiceClient.fromConnectionString(azurite.current.connectionString).getContainerClient('landing-bounds');
    await container.create();
    const files = MAX_BLOBS + 3;
    for (let i = 0; i < files; i++) {
      const row = { TimeGenerated: `2024-01-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000Z`, DetectionId: `d-${i}`, RuleId: 'r', Rule: 'R', Priority: 'NOTICE', Source: 'falco', Cluster: i < 3 ? 'old-cluster' : 'new-cluster' };
      const bytes = gzipSync(JSON.stringify(row) + '\n');
      await container.getBlockBlobClient(`Detections/2024/01/01/b-${String(i).padStart(4, '0')}.multijson.gz`).upload(bytes, bytes.length);
    }
    const saved = { ...process.env };
    process.env.KUBESIFT_STORAGE_CONNECTION = azurite.current.connectionString;
    process.env.KUBESIFT_LANDING_CONTAINER = 'landing-bounds';
    process.env.KUBESIFT_SINK = 'blob';
    try {
      const res = await detections(get('http://localhost/api/detections'), ctx());
      const body = JSON.parse(String(res.body)) as { total: number; blobsRead: number; blobsFound: number; truncated: boolean };
      expect(body).toMatchObject({ total: MAX_BLOBS, blobsRead: MAX_BLOBS, blobsFound: files, truncated: true });
    } finally {
      process.env = saved;
    }
    // Within the bounds nothing is said to be missing.
    await container.deleteBlob('Detections/2024/01/01/b-0000.multijson.gz');
    await container.deleteBlob('Detections/2024/01/01/b-0001.multijson.gz');
    await container.deleteBlob('Detections/2024/01/01/b-0002.multijson.gz');
    const { loadConfig } = await import('../functions/config.js');
    const landed = await readLandedDetections(loadConfig({ KUBESIFT_STORAGE_CONNECTION: azurite.current.connectionString, KUBESIFT_LANDING_CONTAINER: 'landing-bounds' }));
    expect(landed).toMatchObject({ blobsRead: MAX_BLOBS, blobsFound: MAX_BLOBS, truncated: false });
  });
});
