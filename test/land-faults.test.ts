// Fault injection: storage down, queue rejects, slow endpoint, one table failing, dead-letter
// storage down. In every case rows landed + records dead-lettered == records in, and a
// replay after recovery lands the rest without doubling.
import { describe, expect, it } from 'vitest';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { EventInput } from '../functions/contracts.js';
import { createLander, deadLetterBatch, LandError, type ClosableLander } from '../functions/land/index.js';
import { replayDeadLetters } from '../functions/land/replay.js';
import { batchKey } from '../functions/pipeline.js';
import { DEV_ACCOUNT, DEV_KEY, freePort } from '../scripts/azurite.js';
import { aksEvents, recordsInBody } from './support/aksEvents.js';
import { configFor, deadLetterDocs, expectedRows, landedRows, NOW, POLICY, queueMessages, run, useLandingRig } from './support/landing.js';

const rig = useLandingRig();
const { azurite } = rig;

const FAST = { KUBESIFT_LAND_RETRIES: '1', KUBESIFT_LAND_RETRY_BASE_MS: '1', KUBESIFT_LAND_TIMEOUT_MS: '1500' };

function make(kind: 'queued' | 'direct', deadletter: string, env: Record<string, string> = {}) {
  const config = configFor(azurite.current, {
    KUBESIFT_SINK: kind,
    KUBESIFT_KUSTO_INGEST_URL: rig.standIn.url,
    KUBESIFT_KUSTO_CLUSTER_URL: rig.standIn.url,
    KUBESIFT_DEADLETTER_CONTAINER: deadletter,
    ...FAST,
    ...env,
  });
  const lander = createLander(kind, { config });
  rig.track(lander);
  return { config, lander };
}

/** What the trigger does: land, and when it finally cannot, dead-letter the batch whole. */
async function landOrDeadLetter(kind: 'queued' | 'direct', deadletter: string, events: EventInput[]): Promise<{ landed: number; error?: LandError }> {
  const { config, lander } = make(kind, deadletter);
  try {
    return { landed: landedRows(await lander.land(run(events), batchKey(events))) };
  } catch (err) {
    expect(err).toBeInstanceOf(LandError);
    await deadLetterBatch(config, events, (err as Error).message);
    return { landed: 0, error: err as LandError };
  }
}

async function deadLetteredRecords(container: string): Promise<number> {
  return (await deadLetterDocs(azurite.current, container)).filter((d) => d.doc.kind === 'event').reduce((n, d) => n + recordsInBody(d.doc.raw), 0);
}

describe('fault injection (queued sink)', () => {
  it('storage down: nothing lands, every record is dead-lettered; replay lands them once', async () => {
    const events = aksEvents({ audit: 25, lines: 10, events: 3, seed: 'fa170001', firstSequence: 1000 });
    const recordsIn = run(events).summary.records;
    rig.standIn.behaviour.containerUrl = `http://127.0.0.1:${await freePort()}/${DEV_ACCOUNT}/ingest-temp?sv=x`;
    const outcome = await landOrDeadLetter('queued', 'dl-storage', events);
    rig.standIn.behaviour.containerUrl = undefined;
    expect(outcome.error?.failures.map((f) => f.table).sort()).toEqual(['AksAudit', 'AksControlPlane', 'Detections']);
    expect(outcome.landed + (await deadLetteredRecords('dl-storage'))).toBe(recordsIn);
    expect(await queueMessages(azurite.current, rig.standIn.queueName)).toEqual([]);
    const docs = await deadLetterDocs(azurite.current, 'dl-storage');
    expect(docs.every((d) => d.doc.reason === 'land-failed' && d.doc.detail.includes('could not land') && !/sig=[^R]/.test(d.doc.detail))).toBe(true);

    // Recovery: replay under the original batch key, then a second replay finds nothing to do.
    const { config, lander } = make('queued', 'dl-storage');
    const container = BlobServiceClient.fromConnectionString(config.KUBESIFT_STORAGE_CONNECTION!).getContainerClient('dl-storage');
    const first = await replayDeadLetters(container, { lander, policy: POLICY, now: () => NOW });
    expect(first).toMatchObject({ blobs: 3, batches: 1, replayedBlobs: 3, failedBatches: 0, records: recordsIn, rows: expectedRows(run(events)) });
    const messages = await queueMessages(azurite.current, rig.standIn.queueName);
    expect(messages.map((m) => JSON.parse(m.AdditionalProperties.ingestIfNotExists!) as string[]).flat().sort()).toEqual(
      ['AksAudit', 'AksControlPlane', 'Detections'].map((t) => `${batchKey(events)}/${t}`),
    );
    const second = await replayDeadLetters(container, { lander, policy: POLICY, now: () => NOW });
    expect(second).toMatchObject({ blobs: 3, alreadyReplayed: 3, batches: 0, records: 0 });
    expect(await queueMessages(azurite.current, rig.standIn.queueName)).toEqual([]);
  });

  it('queue rejects the ingestion message: every record is dead-lettered', async () => {
    const events = aksEvents({ audit: 12, lines: 3, events: 2, seed: 'fa170002', firstSequence: 2000 });
    const recordsIn = run(events).summary.records;
    rig.standIn.behaviour.queueUrl = `${azurite.current.queueUrl}/no-such-queue`;
    const outcome = await landOrDeadLetter('queued', 'dl-queue', events);
    rig.standIn.behaviour.queueUrl = undefined;
    expect(outcome.error).toBeDefined();
    expect(outcome.landed + (await deadLetteredRecords('dl-queue'))).toBe(recordsIn);
  });
});

describe('fault injection (direct sink)', () => {
  it('slow endpoint: attempts time out, the batch is dead-lettered whole', async () => {
    const events = aksEvents({ audit: 8, lines: 4, events: 2, seed: 'fa170003', firstSequence: 3000 });
    const recordsIn = run(events).summary.records;
    rig.standIn.behaviour.delayMs = 4000;
    let outcome: Awaited<ReturnType<typeof landOrDeadLetter>>;
    try {
      outcome = await landOrDeadLetter('direct', 'dl-slow', events);
    } finally {
      rig.standIn.behaviour.delayMs = 0;
    }
    expect(String(outcome.error?.failures[0]?.error)).toMatch(/timed out|timeout/i);
    expect(outcome.landed + (await deadLetteredRecords('dl-slow'))).toBe(recordsIn);
  });

  it('one table failing: the batch fails, replay re-sends landed tables under the same tag (no double)', async () => {
    const events = aksEvents({ audit: 9, lines: 6, events: 1, seed: 'fa170004', firstSequence: 4000 });
    const result = run(events);
    const key = batchKey(events);
    rig.standIn.commands.length = 0;
    rig.standIn.behaviour.failCommands = /^\.ingest inline into table Detections /;
    let outcome: Awaited<ReturnType<typeof landOrDeadLetter>>;
    try {
      outcome = await landOrDeadLetter('direct', 'dl-partial', events);
    } finally {
      rig.standIn.behaviour.failCommands = undefined;
    }
    expect(outcome.error?.failures.map((f) => f.table)).toEqual(['Detections']);
    expect(outcome.error?.partial.rows).toEqual({ AksAudit: 9, AksControlPlane: 6 });
    expect(await deadLetteredRecords('dl-partial')).toBe(result.summary.records);

    const { config, lander } = make('direct', 'dl-partial');
    const container = BlobServiceClient.fromConnectionString(config.KUBESIFT_STORAGE_CONNECTION!).getContainerClient('dl-partial');
    expect(await replayDeadLetters(container, { lander, policy: POLICY, now: () => NOW })).toMatchObject({ failedBatches: 0, records: result.summary.records });

    // Apply the recorded commands the way ADX does (ingestIfNotExists): every row exactly once.
    const seen = new Set<string>();
    const rows = new Map<string, number>();
    for (const c of rig.standIn.commands.filter((x) => x.status === 200)) {
      const m = /^\.ingest inline into table (\w+) .*ingestIfNotExists = '(\[[^']*\])'\) <\|\n([\s\S]*)$/.exec(c.csl);
      if (!m) continue;
      const tag = (JSON.parse(m[2]!) as string[])[0]!;
      if (seen.has(tag)) continue;
      seen.add(tag);
      rows.set(m[1]!, (rows.get(m[1]!) ?? 0) + m[3]!.split('\n').length);
    }
    expect(rig.standIn.commands.filter((x) => x.status === 500)).toHaveLength(2); // first attempt + 1 retry
    expect(Object.fromEntries(rows)).toEqual({ AksAudit: 9, AksControlPlane: 6, Detections: result.detections.length });
    expect(seen).toEqual(new Set(['AksAudit', 'AksControlPlane', 'Detections'].map((t) => `${key}/${t}`)));
  });
});

describe('dead-letter storage down', () => {
  it('deadLetterBatch rejects (the trigger throws, the host keeps the checkpoint): nothing is acknowledged silently', async () => {
    const events = aksEvents({ audit: 2, lines: 0, events: 1, seed: 'fa170005', firstSequence: 5000 });
    const down = new BlobServiceClient(`http://127.0.0.1:${await freePort()}/${DEV_ACCOUNT}`, new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY), { retryOptions: { maxTries: 1 } });
    const config = configFor(azurite.current, { KUBESIFT_SINK: 'blob', ...FAST });
    const lander = createLander('blob', { config, blobService: down });
    await expect(lander.land(run(events), batchKey(events))).rejects.toBeInstanceOf(LandError);
    await expect(deadLetterBatch(config, events, 'storage down', { service: down })).rejects.toThrow();
  });
});

describe('SAS signatures in errors', () => {
  it('errorText redacts a sig however the URL around it is written; the retry log goes through it', async () => {
    const { errorText } = await import('../functions/errorText.js');
    const { retryOptions } = await import('../functions/land/index.js');
    const forms = [
      'GET https://a.blob.core.windows.net/c/b?sv=2024&sig=SECRET1 failed',
      'url=https://a/c?sp=r&amp;sig=SECRET2&amp;se=1',
      '"url":"https://a/c?sp=r\\u0026sig=SECRET3"',
      'https%3A%2F%2Fa%2Fc%3Fsv%3D1%26sig%3DSECRET4',
      'BlobEndpoint=https://a/;SharedAccessSignature=sv=1&sig=SECRET5;',
      'x?sig%3dSECRET6',
    ];
    for (const f of forms) expect(errorText(new Error(f)), f).not.toMatch(/SECRET\d/);
    // Words that only contain "sig" are left alone.
    expect(errorText(new Error('signature=ok design=fine'))).toBe('signature=ok design=fine');
    const lines: string[] = [];
    const opts = retryOptions(configFor(azurite.current, FAST), { log: (l) => lines.push(l) });
    opts.onRetry?.(1, new Error('PUT https://a/c?sv=1&sig=SECRET7'));
    expect(lines).toEqual(['land retry 1: PUT https://a/c?sv=1&sig=REDACTED']);
  });
});
