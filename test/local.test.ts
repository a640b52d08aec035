// The local runner end to end, in-process: Azurite (in memory), every HTTP function over
// loopback, the demo batch through the AKS handler, webhooks through the hub bus into
// webhookEvents, rows landed as blobs in Azurite. Everything is stopped afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BlobServiceClient } from '@azure/storage-blob';
import { startLocal, type LocalRunner } from '../scripts/local/runner.js';
import { hmacHex } from '../functions/webhooks/auth.js';
import { writeCapture } from '../functions/capture/avro.js';
import { falcoSample, kubearmorSample } from './support/webhookSamples.js';
import { generateAksBodies } from '../functions/generate/index.js';

const stateDir = mkdtempSync(path.join(tmpdir(), 'kubesift-local-'));
let runner: LocalRunner;
const logs: string[] = [];
/** --input: a folder with a .jsonl of bodies (and a line that is not JSON) and a .json of one body. */
const inputDir = path.join(stateDir, 'my-bodies');
let inputRecords = 0;
let inputBodies = 0;
let bodyRecords0 = 0;

beforeAll(async () => {
  const { bodies } = await generateAksBodies({ logType: 'aks-diagnostics', count: 300, seed: 11, scenarios: ['all'] });
  inputRecords = bodies.reduce((n, b) => n + b.records.length, 0);
  inputBodies = bodies.length;
  bodyRecords0 = bodies[0]!.records.length;
  mkdirSync(inputDir);
  writeFileSync(path.join(inputDir, 'a.jsonl'), `${bodies.slice(1).map((b) => JSON.stringify(b)).join('\n')}\nnot json\n`);
  writeFileSync(path.join(inputDir, 'b.json'), JSON.stringify(bodies[0], null, 2));
  // Gzipped, as the dataset API hands a file out; and a file with no body.
  writeFileSync(path.join(inputDir, 'c.jsonl.gz'), gzipSync(`${JSON.stringify(bodies[0])}\n`));
  writeFileSync(path.join(inputDir, 'd.json'), '\n');
  runner = await startLocal({ stateDir, port: 0, demo: { count: 800, seed: 7 }, input: [inputDir], log: (l) => logs.push(l) });
});
afterAll(async () => {
  await runner?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function listBlobs(container: string): Promise<string[]> {
  const c = BlobServiceClient.fromConnectionString(runner.azurite.connectionString).getContainerClient(container);
  if (!(await c.exists())) return [];
  const names: string[] = [];
  for await (const b of c.listBlobsFlat()) names.push(b.name);
  return names;
}

async function blobText(container: string, name: string): Promise<string> {
  const buf = await BlobServiceClient.fromConnectionString(runner.azurite.connectionString).getContainerClient(container).getBlobClient(name).downloadToBuffer();
  return (buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf).toString('utf8');
}

describe('npm start (local runner)', () => {
  it('prints a summary of the demo batch: records, rows per table, dead letters, detections', () => {
    const demo = runner.demo!;
    expect(demo.totals.records).toBeGreaterThanOrEqual(800);
    expect(demo.totals.rows.AksAudit).toBeGreaterThan(0);
    expect(demo.totals.detections.length).toBeGreaterThan(0);
    expect(demo.text).toMatch(/records in: +\d+/);
    expect(demo.text).toMatch(/rows: +AksAudit \d+/);
    expect(demo.text).toMatch(/dead letters: +\d+/);
    expect(demo.text).toMatch(/PRIORITY +RULE +USER +NAMESPACE +OBJECT/);
    // At least one injected attack scenario is caught by a detection naming its audit IDs.
    expect(demo.scenarios.some((s) => s.caught)).toBe(true);
    expect(logs.join('\n')).toContain('function keys are NOT checked locally');
  });

  it('--input: your own bodies run after the demo and land under their own batch keys; what is not JSON is a dead letter', async () => {
    const input = runner.input!;
    // Every generated body, from both files, and the line that is not JSON.
    // The gzipped copy of the first body is one more body (the same records again: deduped).
    expect(input.bodies).toBe(inputBodies + 2);
    expect(input.totals.records).toBe(inputRecords + bodyRecords0 + 1);
    expect(input.totals.rows.AksAudit! + input.totals.rows.AksControlPlane!).toBeGreaterThan(0);
    expect(input.totals.deadLetters).toBe(1);
    expect(input.totals.deadLetterReasons).toEqual({ 'invalid-json': 1 });
    expect(input.totals.detections.length).toBeGreaterThan(0);
    expect(input.failedBatches).toBe(0);
    expect(input.text).toMatch(/^Your input: \d+ Event Hub bodies from .*my-bodies, 1 empty file\(s\) skipped through aksDiagnostics → blob sink/);
    expect(logs.join('\n')).toContain(input.text);
    // Its own partition (input-<hash>): nothing of it was skipped as the demo's.
    expect(input.totals.duplicatesSkipped).toBe(0);
    expect((await listBlobs('landing')).some((n) => n.includes('-input-'))).toBe(true);
  });

  it('landed the demo rows as blobs in Azurite', async () => {
    const landing = await listBlobs('landing');
    expect(landing.some((n) => n.includes('AksAudit'))).toBe(true);
    expect(landing.some((n) => n.includes('Detections'))).toBe(true);
  });

  it('serves every registered HTTP function at /api/<route>', async () => {
    const templates = runner.http.routes.map((r) => r.template);
    expect(templates).toEqual(expect.arrayContaining(['webhooks/{source}', 'eventgrid']));
    const missing = await fetch(`${runner.url}/api/no-such-function`);
    expect(missing.status).toBe(404);
    const wrongMethod = await fetch(`${runner.url}/api/eventgrid`, { method: 'GET' });
    expect(wrongMethod.status).toBe(405);
    const root = await fetch(`${runner.url}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/api/ui']);
  });

  it('a malformed path escape or Host header is a 4xx, as from the host, never a 500', async () => {
    // Raw requests: fetch neither sends a malformed path as it is nor lets a Host header through.
    const status = (target: string, hostHeader: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const s = connect(Number(new URL(runner.url).port), '127.0.0.1');
        let text = '';
        s.on('data', (d) => (text += d.toString('latin1')));
        s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
        s.on('error', reject);
        s.write(`GET ${target} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`);
      });
    const host = new URL(runner.url).host;
    // A route value with a broken escape reaches the function as it is: no such log type, no such asset.
    expect(await status('/api/schemas/%E0%A4%A', host)).toBe(404);
    expect(await status('/api/ui/assets/%zz', host)).toBe(404);
    expect(await status('/api/health', host)).toBe(200);
    for (const bad of ['a b', '[::1', 'x:99999', 'user@evil']) expect(await status('/api/health', bad), bad).toBe(400);
  });

  it('a generated dataset downloads through the app (its blob URL is private: 403 without a key)', async () => {
    const gen = await fetch(`${runner.url}/api/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logType: 'cef', count: 200, seed: 3 }) });
    expect(gen.status).toBe(200);
    const body = (await gen.json()) as { blobs: { data: string }; downloads: { data: string; labels: string }; bytes: { uncompressed: number }; requestHash: string };
    expect((await fetch(body.blobs.data)).status).toBe(403);
    const file = await fetch(`${runner.url}/api/${body.downloads.data}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/gzip');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="cef-${body.requestHash}-data.log.gz"`);
    expect(gunzipSync(Buffer.from(await file.arrayBuffer())).length).toBe(body.bytes.uncompressed);
    expect((await fetch(`${runner.url}/api/${body.downloads.labels}`)).status).toBe(200);
    expect((await fetch(`${runner.url}/api/datasets/cef/${body.requestHash}/..%2F..%2Flanding`)).status).toBe(400);
  });

  it('answers the Event Grid validation handshake over loopback', async () => {
    const res = await fetch(`${runner.url}/api/eventgrid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
      body: JSON.stringify([{ id: '1', subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: '2025-04-20T10:00:00Z', data: { validationCode: 'abc-123' } }]),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: 'abc-123' });
  });

  it('webhooks: 401/400/413 forward nothing; accepted alerts reach webhookEvents and land as Detections', async () => {
    const post = (source: string, body: string, headers: Record<string, string>) =>
      fetch(`${runner.url}/api/webhooks/${source}?cluster=laptop`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    runner.lander.reset();

    expect((await post('falco', JSON.stringify(falcoSample), { authorization: 'Bearer wrong-wrong-wrong-wrong' })).status).toBe(401);
    const bad = await post('falco', JSON.stringify({ ...falcoSample, time: 'noon' }), { authorization: `Bearer ${runner.secrets.falco}` });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^time: /);
    const huge = JSON.stringify({ ...falcoSample, output: 'x'.repeat(1_100_000) });
    expect((await post('falco', huge, { authorization: `Bearer ${runner.secrets.falco}` })).status).toBe(413);
    await runner.bus.idle();
    expect(runner.lander.totals.landings).toBe(0);

    const ok = await post('falco', JSON.stringify(falcoSample), { authorization: `Bearer ${runner.secrets.falco}` });
    expect(ok.status).toBe(202);
    const armorBody = JSON.stringify(kubearmorSample);
    const signed = await post('kubearmor', armorBody, { 'x-kubesift-signature-256': `sha256=${hmacHex(runner.secrets.kubearmor, Buffer.from(armorBody))}` });
    expect(signed.status).toBe(202);
    await runner.bus.idle();

    const t = runner.lander.totals;
    expect(t.detections.map((d) => [d.Source, d.Cluster, d.Operation, d.Action]).sort()).toEqual([
      ['falco', 'laptop', 'Process', 'Audit'],
      ['kubearmor', 'laptop', 'File', 'Block'],
    ]);
    // …and they are in the landing container, next to the native detections.
    const landing = await listBlobs('landing');
    const texts = await Promise.all(landing.filter((n) => n.includes('Detections')).map((n) => blobText('landing', n)));
    expect(texts.join('\n')).toContain('block-shadow-read');
    expect(texts.join('\n')).toContain('Terminal shell in container');
  });
});

describe('Event Grid backfill through the runner (default deps: configured sink and storage)', () => {
  it('replays a capture file written to Azurite and lands its rows', async () => {
    const blobs = BlobServiceClient.fromConnectionString(runner.azurite.connectionString);
    const capture = blobs.getContainerClient('capture');
    await capture.createIfNotExists();
    const { generateAksBodies } = await import('../functions/generate/index.js');
    const { bodies } = await generateAksBodies({ logType: 'aks-audit', count: 120, seed: 99 });
    const avro = await writeCapture(bodies.map((b, i) => ({ sequenceNumber: 5000 + i, offset: String(i * 4096), enqueuedTimeUtc: '', body: Buffer.from(JSON.stringify(b)) })));
    const name = 'ns/aks-diagnostics/1/2025/04/20/10/00/00.avro';
    await capture.getBlockBlobClient(name).uploadData(avro);
    const before = (await listBlobs('landing')).length;
    const res = await fetch(`${runner.url}/api/eventgrid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 'cap-1', subject: 'eventhubs/aks-diagnostics', eventType: 'Microsoft.EventHub.CaptureFileCreated', eventTime: '2025-04-20T10:05:00Z', data: { fileUrl: `${capture.url}/${name}`, partitionId: '1', eventCount: bodies.length } }]),
    });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { replayed: { events: number; records: number; hub: string }[] };
    expect(out.replayed[0]).toMatchObject({ events: bodies.length, records: 120, hub: 'aks-diagnostics' });
    expect((await listBlobs('landing')).length).toBeGreaterThan(before);
  });
});

describe('stopping', () => {
  it('stops the HTTP server and Azurite', async () => {
    const { url } = runner;
    const blobPort = runner.azurite.blobPort;
    await runner.stop();
    await expect(fetch(`${url}/api/eventgrid`, { method: 'OPTIONS' })).rejects.toThrow();
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(blobPort, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    expect(open).toBe(false);
  });
});

describe('the summary text', () => {
  it('accounts for repeated audit records next to the rows, and says nothing when there are none', async () => {
    const { formatSummary } = await import('../scripts/local/summary.js');
    const { emptyTotals } = await import('../scripts/local/recorder.js');
    const t = { ...emptyTotals(), landings: 1, records: 5, rows: { AksAudit: 3, AksControlPlane: 1 }, repeats: 1 };
    const text = formatSummary(t, { title: 'demo', elapsedMs: 1000 });
    expect(text).toContain('  rows:            AksAudit 3, AksControlPlane 1, Detections 0 (1 repeated audit record(s) dropped: the same event twice in a batch)');
    expect(formatSummary({ ...t, repeats: 0 }, { title: 'demo', elapsedMs: 1000 })).not.toContain('repeated');
  });

  it('counts the trigger batches delivered, and says when they landed in more chunks than that', async () => {
    const { formatSummary } = await import('../scripts/local/summary.js');
    const { emptyTotals } = await import('../scripts/local/recorder.js');
    const t = { ...emptyTotals(), landings: 3, records: 9000 };
    expect(formatSummary(t, { title: 'demo', elapsedMs: 1, batches: 1 })).toContain('  records in:      9000 in 1 batch(es), landed in 3 chunks\n');
    expect(formatSummary({ ...t, landings: 2 }, { title: 'demo', elapsedMs: 1, batches: 2 })).toContain('  records in:      9000 in 2 batch(es)\n');
    expect(formatSummary(t, { title: 'demo', elapsedMs: 1 })).toContain('  records in:      9000 in 3 landing(s)\n');
  });

  it('the recorder adds up each batch summary\'s duplicates', async () => {
    const { RecordingLander } = await import('../scripts/local/recorder.js');
    const { emptyResult } = await import('../functions/webhooks/process.js');
    const rec = new RecordingLander({ kind: 'fake', land: async () => ({ rows: {}, deadLetters: 0, duplicatesSkipped: 0 }) });
    for (const n of [2, 0, 3]) {
      const r = emptyResult();
      r.summary.duplicates = n;
      await rec.land(r, `k${n}`);
    }
    expect(rec.totals.repeats).toBe(5);
  });
});

describe('a batch whose landing throws', () => {
  it('is named in the summary, not left out of it as if nothing came in (the local bus neither retries nor dead-letters it)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kubesift-local-fail-'));
    const { bodies } = await generateAksBodies({ logType: 'aks-audit', count: 40, seed: 3, scenarios: [] });
    const file = path.join(dir, 'in.jsonl');
    writeFileSync(file, bodies.map((b) => JSON.stringify(b)).join('\n'));
    // A direct sink at a port nothing listens on: every landing throws.
    const env = { KUBESIFT_SINK: 'direct', KUBESIFT_KUSTO_CLUSTER_URL: 'http://127.0.0.1:1', KUBESIFT_KUSTO_AUTH: 'none', KUBESIFT_LAND_RETRIES: '0' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    let failing: LocalRunner | undefined;
    try {
      failing = await startLocal({ stateDir: dir, port: 0, input: [file], log: () => undefined });
      expect(failing.input!.failedBatches).toBe(1);
      expect(failing.input!.text).toMatch(/\n {2}FAILED: +1 batch\(es\) threw \(the error is in the log above\)/);
    } finally {
      await failing?.stop();
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--input without a dated record', () => {
  it("is published at its files' latest modification time, not 1970 (klog years and dead-letter days come from that clock)", async () => {
    const { readInput } = await import('../scripts/local/input.js');
    const { utimesSync } = await import('node:fs');
    const dir = mkdtempSync(path.join(tmpdir(), 'kubesift-input-time-'));
    try {
      const body = { records: [{ category: 'kube-scheduler', resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/C1', properties: { log: 'I0301 10:00:01.000000       1 s.go:1] no time\n' } }] };
      writeFileSync(path.join(dir, 'a.jsonl'), JSON.stringify(body));
      writeFileSync(path.join(dir, 'b.json'), JSON.stringify(body));
      utimesSync(path.join(dir, 'a.jsonl'), new Date('2024-05-06T07:08:09Z'), new Date('2024-05-06T07:08:09Z'));
      utimesSync(path.join(dir, 'b.json'), new Date('2023-01-01T00:00:00Z'), new Date('2023-01-01T00:00:00Z'));
      for (const paths of [[dir], [path.join(dir, 'a.jsonl'), path.join(dir, 'b.json')]]) {
        const input = await readInput(paths, () => undefined);
        expect(input.bodies).toHaveLength(2);
        expect(input.enqueuedTime).toBe('2024-05-06T07:08:09.000Z');
      }
      // A dated record still dates the input.
      writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ records: [{ ...body.records[0], time: '2025-02-03T04:05:06.0000000Z' }] }));
      expect((await readInput([dir], () => undefined)).enqueuedTime).toBe('2025-02-03T04:05:06.000Z');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
