// The Event Hub handler, driven through @azure/functions' own InvocationContext with the
// trigger metadata the host passes for cardinality 'many'.
import functions from '@azure/functions';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../functions/config.js';
import type { BatchResult, LandReport, Lander } from '../functions/contracts.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { eventHubTriggers } from '../functions/triggers/registry.js';
import { batchClock, eventsFromTrigger } from '../functions/eventhub/triggerMetadata.js';
import { handleAksBatch } from '../functions/triggers/aksDiagnostics.js';
import { batchKey, DEFAULT_CHUNK_RECORDS } from '../functions/pipeline.js';
import { aksEvents } from './support/aksEvents.js';
import { handleWebhookBatch } from '../functions/triggers/webhookEvents.js';
import { useAzurite } from './support/azurite.js';
import { configFor, deadLetterDocs } from './support/landing.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/aks/${name}`, import.meta.url));

class RecordingLander implements Lander {
  readonly kind = 'recording';
  readonly calls: { result: BatchResult; key: string }[] = [];
  failures = 0;
  async land(result: BatchResult, key: string): Promise<LandReport> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('sink unavailable');
    }
    const dup = this.calls.some((c) => c.key === key);
    this.calls.push({ result, key });
    return {
      rows: dup ? {} : { AksAudit: result.rows.AksAudit.length, AksControlPlane: result.rows.AksControlPlane.length, Detections: result.detections.length },
      deadLetters: result.deadLetters.length,
      duplicatesSkipped: dup ? result.rows.AksAudit.length + result.rows.AksControlPlane.length : 0,
    };
  }
}

function context(seqs: number[], enqueued: string[], partitionId = '2'): functions.InvocationContext {
  const offsets = seqs.map((s) => String(4096 * s));
  const logs: string[] = [];
  const ctx = new functions.InvocationContext({
    invocationId: 'inv-1',
    functionName: 'aksDiagnostics',
    logHandler: (level, ...args) => logs.push(`${level}: ${args.join(' ')}`),
    triggerMetadata: {
      partitionContext: { fullyQualifiedNamespace: 'sift-ns.servicebus.windows.net', eventHubName: 'aks-diagnostics', consumerGroup: 'kubesift', partitionId },
      partitionKeyArray: seqs.map(() => null),
      sequenceNumberArray: seqs,
      offsetArray: offsets,
      enqueuedTimeUtcArray: enqueued,
      propertiesArray: seqs.map(() => ({})),
      // The library camel-cases every key it receives from the host (SequenceNumber → sequenceNumber).
      systemPropertiesArray: seqs.map((s, i) => ({ 'x-opt-sequence-number': s, 'x-opt-offset': offsets[i], 'x-opt-enqueued-time': enqueued[i], sequenceNumber: s, offset: offsets[i], partitionKey: null, enqueuedTimeUtc: enqueued[i] })),
    },
    options: { trigger: { type: 'eventHubTrigger', name: 'messages', eventHubName: '%KUBESIFT_AKS_HUB%', cardinality: 'many', dataType: 'binary' } },
  });
  return Object.assign(ctx, { logs });
}

const config = loadConfig({});
const azurite = useAzurite();
const policy = defaultPolicy('aks');

describe('aksDiagnostics trigger', () => {
  it('is registered with the binding the host needs', () => {
    const def = eventHubTriggers.find((t) => t.name === 'aksDiagnostics');
    expect(def).toBeDefined();
    const o = def!.options as unknown as Record<string, unknown>;
    expect(o).toMatchObject({
      connection: 'EventHubConnection',
      eventHubName: '%KUBESIFT_AKS_HUB%',
      consumerGroup: '%KUBESIFT_CONSUMER_GROUP%',
      cardinality: 'many',
      dataType: 'binary',
      retry: { strategy: 'exponentialBackoff' },
    });
    expect((o.retry as { maxRetryCount: number }).maxRetryCount).toBeGreaterThan(0);
  });

  it('maps trigger metadata to positions and the batch clock', () => {
    const ctx = context([100, 101], ['2024-03-01T10:00:05.000Z', '2024-03-01T10:00:09.000Z']);
    const events = eventsFromTrigger([Buffer.from('{}'), Buffer.from('[]')], ctx);
    expect(events.map((e) => e.position)).toEqual([
      { source: 'aks-diagnostics', partitionId: '2', sequenceNumber: 100, offset: '409600', enqueuedTime: '2024-03-01T10:00:05.000Z' },
      { source: 'aks-diagnostics', partitionId: '2', sequenceNumber: 101, offset: '413696', enqueuedTime: '2024-03-01T10:00:09.000Z' },
    ]);
    expect(batchClock(ctx).toISOString()).toBe('2024-03-01T10:00:09.000Z');
    // int64 values may cross gRPC as strings, times as Dates or with 7 fraction digits: same positions.
    const asStrings = new functions.InvocationContext({ functionName: 'aksDiagnostics', triggerMetadata: { partitionContext: { eventHubName: 'aks-diagnostics', partitionId: 2 }, sequenceNumberArray: ['100', '101'], offsetArray: [409600, 413696], enqueuedTimeUtcArray: [new Date('2024-03-01T10:00:05Z'), '2024-03-01T10:00:09.0000000+00:00'] } });
    expect(eventsFromTrigger([Buffer.from('{}'), Buffer.from('[]')], asStrings).map((e) => e.position)).toEqual(eventsFromTrigger([Buffer.from('{}'), Buffer.from('[]')], ctx).map((e) => e.position));
    // An unreadable time is left out (the key then hashes the position alone), never 'Invalid Date'.
    const badTime = new functions.InvocationContext({ functionName: 'aksDiagnostics', triggerMetadata: { partitionContext: { eventHubName: 'aks-diagnostics', partitionId: 2 }, sequenceNumberArray: [100], offsetArray: [409600], enqueuedTimeUtcArray: ['soon'] } });
    expect(eventsFromTrigger([Buffer.from('{}')], badTime)[0]!.position).toEqual({ source: 'aks-diagnostics', partitionId: '2', sequenceNumber: 100, offset: '409600' });
    // No metadata at all: index positions, wall clock.
    const bare = new functions.InvocationContext({ functionName: 'aksDiagnostics' });
    expect(eventsFromTrigger('x', bare, 'hub')[0]!.position).toEqual({ source: 'hub', partitionId: '', sequenceNumber: 0, offset: '' });
    expect(Math.abs(batchClock(bare).getTime() - Date.now())).toBeLessThan(5000);
  });

  it('processes a binary batch and lands it under the batch key', async () => {
    const lander = new RecordingLander();
    const ctx = context([7, 8, 9], ['2024-03-01T10:00:00Z', '2024-03-01T10:00:01Z', '2024-03-01T10:00:02Z']);
    const messages = [fixture('mixed-categories.json'), Buffer.from('not json'), fixture('bom-single-record.json')];
    const out = await handleAksBatch(messages, ctx, { lander, policy, config });
    expect(lander.calls).toHaveLength(1);
    const { result, key } = lander.calls[0]!;
    expect(key).toBe(out.batchKey);
    expect(key).toMatch(/^aks-diagnostics-2-7-9-/);
    expect(result.summary).toMatchObject({ records: 13, deadLetters: 1 });
    // bom-single-record repeats the first kube-audit event: collapsed by auditID+stage
    expect(result.rows.AksAudit).toHaveLength(3);
    expect(result.deadLetters[0]!.position).toEqual({ source: 'aks-diagnostics', partitionId: '2', sequenceNumber: 8, offset: '32768', enqueuedTime: '2024-03-01T10:00:01.000Z', index: 0 });
    expect(result.rows.AksAudit[0]!.Position).toBe('2/7/0');
    const logs = (ctx as unknown as { logs: string[] }).logs;
    expect(logs.some((l) => l.startsWith('warning:') && l.includes('invalid-json×1'))).toBe(true);
  });

  it('a redelivered batch gets the same key and the same detections', async () => {
    const lander = new RecordingLander();
    const seqs = [1, 2];
    const times = ['2024-03-01T10:00:00Z', '2024-03-01T10:00:01Z'];
    const msgs = [fixture('mixed-categories.json'), fixture('eventlist.json')];
    const a = await handleAksBatch(msgs, context(seqs, times), { lander, policy, config });
    const b = await handleAksBatch(msgs, context(seqs, times), { lander, policy, config });
    expect(a.batchKey).toBe(b.batchKey);
    expect(JSON.stringify(lander.calls[0]!.result.detections)).toBe(JSON.stringify(lander.calls[1]!.result.detections));
    expect(b.land!.duplicatesSkipped).toBeGreaterThan(0);
  });

  it('a batch at the positions of another, enqueued at another time, gets its own key', async () => {
    // A hub deleted and created again starts its sequence numbers (and offsets) at 0 again, and
    // two namespaces can have a hub of one name: positions repeat, enqueued times do not. With
    // one key the new batch's rows would be skipped as already landed (lost, not collapsed).
    const lander = new RecordingLander();
    const msgs = [fixture('mixed-categories.json'), fixture('eventlist.json')];
    const first = await handleAksBatch(msgs, context([0, 1], ['2024-03-01T10:00:00Z', '2024-03-01T10:00:01Z']), { lander, policy, config });
    const again = await handleAksBatch(msgs, context([0, 1], ['2024-03-09T08:00:00Z', '2024-03-09T08:00:01Z']), { lander, policy, config });
    expect(again.batchKey).not.toBe(first.batchKey);
    expect(again.land!.duplicatesSkipped).toBe(0);
    expect(again.land!.rows.AksAudit).toBe(first.land!.rows.AksAudit);
    // One event's time differing is enough.
    const one = await handleAksBatch(msgs, context([0, 1], ['2024-03-01T10:00:00Z', '2024-03-01T10:00:01.001Z']), { lander, policy, config });
    expect(new Set([first.batchKey, again.batchKey, one.batchKey]).size).toBe(3);
  });

  it('positions without an enqueued time keep the keys they had (dead letters written before it was recorded)', () => {
    const at = (seq: number, enqueuedTime?: string) => ({ body: '{}', position: { source: 'aks-diagnostics', partitionId: '2', sequenceNumber: seq, offset: String(seq * 4096), ...(enqueuedTime ? { enqueuedTime } : {}) } });
    // The key of [1, 2] as the previous release computed it: sha256 of the positions alone.
    expect(batchKey([at(1), at(2)])).toBe('aks-diagnostics-2-1-2-31caf5ad2921fb87');
    expect(batchKey([at(1, '2024-03-01T10:00:00.000Z'), at(2, '2024-03-01T10:00:00.000Z')])).not.toBe(batchKey([at(1), at(2)]));
  });

  it('a sink failure propagates so the host retries the batch', async () => {
    const lander = new RecordingLander();
    lander.failures = 1;
    const ctx = context([1], ['2024-03-01T10:00:00Z']);
    await expect(handleAksBatch([fixture('mixed-categories.json')], ctx, { lander, policy, config })).rejects.toThrow('sink unavailable');
    await expect(handleAksBatch([fixture('mixed-categories.json')], ctx, { lander, policy, config })).resolves.toMatchObject({ summary: { records: 11 } });
  });

  it('the final retry writes the batch whole to dead letters and succeeds; earlier ones throw', async () => {
    const cfg = configFor(azurite.current, { KUBESIFT_DEADLETTER_CONTAINER: 'dl-trigger' });
    const lander = new RecordingLander();
    lander.failures = 2;
    const msgs = [fixture('mixed-categories.json'), Buffer.from('not json')];
    const attempt = (retryCount: number) => {
      const ctx = context([40, 41], ['2024-03-01T10:00:00Z', '2024-03-01T10:00:01Z']);
      ctx.retryContext = { retryCount, maxRetryCount: 8 };
      return handleAksBatch(msgs, ctx, { lander, policy, config: cfg });
    };
    await expect(attempt(7)).rejects.toThrow('sink unavailable');
    expect(await deadLetterDocs(azurite.current, 'dl-trigger')).toEqual([]);
    const out = await attempt(8);
    expect(out).toMatchObject({ land: null, deadLettered: 2 });
    const docs = await deadLetterDocs(azurite.current, 'dl-trigger');
    expect(docs.map((d) => [d.doc.kind, d.doc.reason, d.doc.position.sequenceNumber])).toEqual([['event', 'land-failed', 40], ['event', 'land-failed', 41]]);
    expect(Buffer.from(docs[0]!.doc.raw).equals(fixture('mixed-categories.json'))).toBe(true);
  });

  it('settings or a policy that do not load: earlier retries throw, the final one keeps the batch whole', async () => {
    const msgs = [fixture('mixed-categories.json'), Buffer.from('not json')];
    const attempt = (retryCount: number, deps: Parameters<typeof handleAksBatch>[2]) => {
      const ctx = context([50, 51], ['2024-03-01T10:00:00Z', '2024-03-01T10:00:01Z']);
      ctx.retryContext = { retryCount, maxRetryCount: 8 };
      return handleAksBatch(msgs, ctx, deps);
    };
    // A policy that does not parse, with settings that do.
    const cfg = configFor(azurite.current, { KUBESIFT_DEADLETTER_CONTAINER: 'dl-policy', KUBESIFT_POLICY: '{bad' });
    const lander = new RecordingLander();
    await expect(attempt(7, { lander, config: cfg })).rejects.toThrow(/KUBESIFT_POLICY: not valid JSON/);
    const out = await attempt(8, { lander, config: cfg });
    expect(out).toMatchObject({ land: null, deadLettered: 2 });
    expect(lander.calls).toEqual([]);
    const docs = await deadLetterDocs(azurite.current, 'dl-policy');
    expect(docs.map((d) => [d.doc.kind, d.doc.reason, d.doc.position.sequenceNumber])).toEqual([['event', 'settings-invalid', 50], ['event', 'settings-invalid', 51]]);
    expect(docs[0]!.doc.detail).toMatch(/KUBESIFT_POLICY: not valid JSON/);
    expect(Buffer.from(docs[0]!.doc.raw).equals(fixture('mixed-categories.json'))).toBe(true);

    // Settings that do not load at all: only the storage ones are needed to keep the batch.
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { KUBESIFT_SINK: 'bogus', KUBESIFT_STORAGE_CONNECTION: azurite.current.connectionString, KUBESIFT_DEADLETTER_CONTAINER: 'dl-settings' });
      await expect(attempt(3, { lander })).rejects.toThrow(/KUBESIFT_SINK/);
      expect(await attempt(8, { lander })).toMatchObject({ land: null, deadLettered: 2 });
      expect((await deadLetterDocs(azurite.current, 'dl-settings')).map((d) => d.doc.detail)).toEqual([expect.stringMatching(/KUBESIFT_SINK/), expect.stringMatching(/KUBESIFT_SINK/)]);
      // The webhook hub's trigger follows the same rule.
      process.env.KUBESIFT_DEADLETTER_CONTAINER = 'dl-webhook-settings';
      const hookCtx = () => Object.assign(context([60], ['2024-03-01T10:00:00Z']), { retryContext: { retryCount: 5, maxRetryCount: 5 } });
      await expect(handleWebhookBatch([Buffer.from('{"source":"falco"}')], Object.assign(context([60], ['2024-03-01T10:00:00Z']), { retryContext: { retryCount: 1, maxRetryCount: 5 } }))).rejects.toThrow(/KUBESIFT_SINK/);
      expect(await handleWebhookBatch([Buffer.from('{"source":"falco"}')], hookCtx())).toMatchObject({ landed: null, deadLettered: 1 });
      expect((await deadLetterDocs(azurite.current, 'dl-webhook-settings')).map((d) => [d.doc.reason, d.doc.raw])).toEqual([['settings-invalid', '{"source":"falco"}']]);
    } finally {
      for (const k of ['KUBESIFT_SINK', 'KUBESIFT_STORAGE_CONNECTION', 'KUBESIFT_DEADLETTER_CONTAINER']) if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  describe('a batch past DEFAULT_CHUNK_RECORDS lands chunk by chunk', () => {
    // 5,000 records in 50 bodies of 100: the first chunk closes after body 40 (4,000 records).
    const bodies = aksEvents({ audit: 4500, lines: 500, events: 50, seed: 'c4c4c4c4' }).map((e) => e.body as Buffer);
    const seqs = bodies.map((_, i) => 300 + i);
    const times = seqs.map(() => '2025-01-02T03:10:00Z');
    const ctxFor = (retry?: { retryCount: number; maxRetryCount: number }) => Object.assign(context(seqs, times), retry ? { retryContext: retry } : {});
    const all = eventsFromTrigger(bodies, ctxFor(), 'aks-diagnostics');
    const keys = [batchKey(all.slice(0, 40)), batchKey(all.slice(40))];

    it('each chunk lands under the key of its own bodies; every record is accounted for once', async () => {
      expect(DEFAULT_CHUNK_RECORDS).toBe(4000);
      const lander = new RecordingLander();
      const out = await handleAksBatch(bodies, ctxFor(), { lander, policy, config });
      expect(lander.calls.map((c) => c.key)).toEqual(keys);
      expect(out.chunks.map((c) => [c.batchKey, c.summary.records])).toEqual([[keys[0], 4000], [keys[1], 1000]]);
      expect(out.batchKey).toBe(batchKey(all));
      expect(out.summary).toMatchObject({ records: 5000, rows: { AksAudit: 4500, AksControlPlane: 500 }, deadLetters: 0, duplicates: 0 });
      expect(out.land!.rows).toMatchObject({ AksAudit: 4500, AksControlPlane: 500 });
      // The rows of each chunk are the rows of its own bodies, in order.
      const positions = lander.calls.flatMap((c) => [...c.result.rows.AksAudit, ...c.result.rows.AksControlPlane].map((r) => Number(r.Position.split('/')[1])));
      expect(Math.max(...lander.calls[0]!.result.rows.AksAudit.map((r) => Number(r.Position.split('/')[1])))).toBe(339);
      expect(Math.min(...lander.calls[1]!.result.rows.AksAudit.map((r) => Number(r.Position.split('/')[1])))).toBe(340);
      expect(positions).toHaveLength(5000);
      // A redelivery splits the same way: same keys, nothing lands twice.
      const again = await handleAksBatch(bodies, ctxFor(), { lander, policy, config });
      expect(again.chunks.map((c) => c.batchKey)).toEqual(keys);
      expect(again.land).toMatchObject({ rows: {}, duplicatesSkipped: 5000 });
    });

    it('on the final retry a chunk that cannot land is dead-lettered alone; the other still lands', async () => {
      const cfg = configFor(azurite.current, { KUBESIFT_DEADLETTER_CONTAINER: 'dl-chunks' });
      const lander = new RecordingLander();
      const land = lander.land.bind(lander);
      lander.land = (result, key) => (key === keys[1] ? Promise.reject(new Error('sink unavailable')) : land(result, key));
      await expect(handleAksBatch(bodies, ctxFor({ retryCount: 2, maxRetryCount: 8 }), { lander, policy, config: cfg })).rejects.toThrow('sink unavailable');
      const out = await handleAksBatch(bodies, ctxFor({ retryCount: 8, maxRetryCount: 8 }), { lander, policy, config: cfg });
      expect(out.chunks.map((c) => [c.batchKey, c.land === null, c.deadLettered])).toEqual([[keys[0], false, undefined], [keys[1], true, 10]]);
      expect(out).toMatchObject({ land: null, deadLettered: 10, summary: { records: 5000 } });
      const docs = await deadLetterDocs(azurite.current, 'dl-chunks');
      // Only the second chunk's bodies, under its own key: a replay lands them once.
      expect(docs.map((d) => d.doc.position.sequenceNumber).sort((a, b) => a - b)).toEqual(seqs.slice(40));
      expect(new Set(docs.map((d) => d.doc.batchKey))).toEqual(new Set([keys[1]]));
    });
  });

  it('accepts string and already-parsed messages too (host without binary)', async () => {
    const lander = new RecordingLander();
    const text = fixture('mixed-categories.json').toString('utf8');
    await handleAksBatch([text, JSON.parse(text)], context([1, 2], ['2024-03-01T10:00:00Z', '2024-03-01T10:00:00Z']), { lander, policy, config });
    expect(lander.calls[0]!.result.summary.records).toBe(22);
  });
});

describe('trigger modules', () => {
  it('no trigger imports another trigger (shared helpers live outside functions/triggers)', () => {
    const dir = new URL('../functions/triggers/', import.meta.url);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      const local = [...src.matchAll(/from '\.\/([^']+)\.js'/g)].map((m) => m[1]);
      expect(local.filter((m) => m !== 'registry'), f).toEqual([]);
    }
  });
});
