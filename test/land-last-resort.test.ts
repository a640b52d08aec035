// The last-resort rule: throw while the host will retry; on the final retry write the batch
// whole to dead letters and succeed; -1 (retry forever) never dead-letters.
import { describe, expect, it } from 'vitest';
import type { Lander } from '../functions/contracts.js';
import functions from '@azure/functions';
import { isFinalAttempt, landOrDeadLetter } from '../functions/land/index.js';
import { landChunks } from '../functions/land/lastResort.js';
import { DEAD_LETTER_FAILURE, LandError } from '../functions/land/lander.js';
import { batchKey, processEventChunks, type EventChunk } from '../functions/pipeline.js';
import { useAzurite } from './support/azurite.js';
import { aksEvents, recordsInBody } from './support/aksEvents.js';
import { configFor, deadLetterDocs, NOW, POLICY, run } from './support/landing.js';

const azurite = useAzurite();
const failing: Lander = {
  kind: 'failing',
  land: () => Promise.reject(new Error('ingest failed: https://x.blob.core.windows.net/c/b?sv=1&sig=SECRETSIG')),
};

describe('landOrDeadLetter', () => {
  it('knows the final attempt', () => {
    expect(isFinalAttempt(undefined)).toBe(false);
    expect(isFinalAttempt({ retryCount: 3, maxRetryCount: 8 })).toBe(false);
    expect(isFinalAttempt({ retryCount: 8, maxRetryCount: 8 })).toBe(true);
    expect(isFinalAttempt({ retryCount: 50, maxRetryCount: -1 })).toBe(false);
  });

  it('rethrows before the final retry, dead-letters every record on it (without secrets)', async () => {
    const config = configFor(azurite.current, { KUBESIFT_SINK: 'blob', KUBESIFT_DEADLETTER_CONTAINER: 'dl-last' });
    const events = aksEvents({ audit: 11, lines: 4, events: 3, seed: '1a570001' });
    const result = run(events);
    const args = { config, lander: failing, result, batchKey: batchKey(events), events };
    await expect(landOrDeadLetter({ ...args, retry: { retryCount: 2, maxRetryCount: 8 } })).rejects.toThrow(/ingest failed/);
    expect(await deadLetterDocs(azurite.current, 'dl-last')).toEqual([]);

    const outcome = await landOrDeadLetter({ ...args, retry: { retryCount: 8, maxRetryCount: 8 } });
    expect(outcome).toMatchObject({ deadLettered: 3 });
    const docs = await deadLetterDocs(azurite.current, 'dl-last');
    expect(docs.map((d) => d.name)).toEqual([0, 1, 2].map((n) => expect.stringMatching(new RegExp(`/${args.batchKey}/event-${n}\\.json$`))));
    expect(docs.reduce((n, d) => n + recordsInBody(d.doc.raw), 0)).toBe(result.summary.records);
    expect(docs.every((d) => d.doc.detail.includes('sig=REDACTED') && !d.doc.detail.includes('SECRETSIG'))).toBe(true);
    expect(docs[0]!.doc.position).toEqual(events[0]!.position);

    // A further delivery of the same batch does not write its dead letters twice.
    await landOrDeadLetter({ ...args, retry: { retryCount: 8, maxRetryCount: 8 } });
    expect(await deadLetterDocs(azurite.current, 'dl-last')).toHaveLength(3);
  });
});

describe('landChunks', () => {
  it('a batch whose processing throws (a bug) is rethrown before the final retry and kept whole from where it stopped on it', async () => {
    const config = configFor(azurite.current, { KUBESIFT_SINK: 'blob', KUBESIFT_DEADLETTER_CONTAINER: 'dl-process' });
    const events = aksEvents({ audit: 11, lines: 4, events: 3, seed: '1a570002' });
    // One chunk per body; the second chunk's processing throws.
    function* buggy(): Generator<EventChunk> {
      let n = 0;
      for (const chunk of processEventChunks(events, { policy: POLICY, now: NOW }, 1)) {
        if (n++ === 1) throw new Error('detector bug: cannot read properties of undefined');
        yield chunk;
      }
    }
    const landedKeys: string[] = [];
    const lander: Lander = { kind: 'memory', land: async (r, key) => (landedKeys.push(key), { rows: { AksAudit: r.rows.AksAudit.length }, deadLetters: 0, duplicatesSkipped: 0 }) };
    const ctx = (retryCount: number) => new functions.InvocationContext({ functionName: 'aksDiagnostics', retryContext: { retryCount, maxRetryCount: 8 }, logHandler: () => undefined });
    const args = (retryCount: number) => ({ config, lander, context: ctx(retryCount), label: 'aks', events, landed: () => undefined });

    await expect(landChunks(buggy(), args(3))).rejects.toThrow(/detector bug/);
    expect(await deadLetterDocs(azurite.current, 'dl-process')).toEqual([]);

    const out = await landChunks(buggy(), args(8));
    expect(out.map((o) => [o.batchKey, o.land === null, o.deadLettered])).toEqual([
      [batchKey(events.slice(0, 1)), false, undefined],
      [batchKey(events.slice(1)), true, 2],
    ]);
    const docs = await deadLetterDocs(azurite.current, 'dl-process');
    expect(docs.map((d) => [d.doc.reason, d.doc.position.sequenceNumber])).toEqual(events.slice(1).map((e) => ['process-failed', e.position.sequenceNumber]));
    expect(docs[0]!.doc.detail).toMatch(/detector bug/);
    expect(docs.reduce((n, d) => n + recordsInBody(d.doc.raw), 0)).toBe(events.slice(1).reduce((n, e) => n + recordsInBody(String(e.body)), 0));
  });

  describe('a chunk that cannot land does not cost the chunks after it', () => {
    // Four chunks (one per body). Dead-letter storage that refuses every write: a container
    // name Azure rejects (400, as permanent as a 403 after a role change).
    const events = aksEvents({ audit: 11, lines: 4, events: 4, seed: '1a570003' });
    const chunks = () => processEventChunks(events, { policy: POLICY, now: NOW }, 1);
    const keys = events.map((e) => batchKey([e]));
    const ctx = (retryCount: number) => new functions.InvocationContext({ functionName: 'aksDiagnostics', retryContext: { retryCount, maxRetryCount: 8 }, logHandler: () => undefined });
    /** A sink that lands every chunk; the second chunk's dead letters cannot be written. */
    const deadLetterFails = (calls: string[]): Lander => ({
      kind: 'memory',
      land: async (r, key) => {
        calls.push(key);
        const report = { rows: { AksAudit: r.rows.AksAudit.length }, deadLetters: 0, duplicatesSkipped: 0 };
        if (key === keys[1]) throw new LandError(key, [{ table: DEAD_LETTER_FAILURE, error: new Error('403 AuthorizationPermissionMismatch') }], report);
        return report;
      },
    });

    it('dead-letter storage down, sink fine: every chunk still lands, on any attempt, and the batch is retried', async () => {
      // Dead-letter writes that Storage refuses: a container name it rejects, set past the
      // config check (which refuses it at start-up) to stand for storage failing on write.
      const config = { ...configFor(azurite.current, { KUBESIFT_SINK: 'blob' }), KUBESIFT_DEADLETTER_CONTAINER: 'Bad_Container' };
      for (const retryCount of [2, 8]) {
        const calls: string[] = [];
        const landed: string[] = [];
        const args = { config, lander: deadLetterFails(calls), context: ctx(retryCount), label: 'aks', events, landed: (key: string) => void landed.push(key) };
        // Before: the first failing chunk stopped the batch; on the final retry its whole-body
        // dead letters failed too, and chunks 3 and 4 never reached the healthy sink.
        await expect(landChunks(chunks(), args), `retry ${retryCount}`).rejects.toThrow();
        expect(calls, `retry ${retryCount}`).toEqual(keys);
        expect(landed, `retry ${retryCount}`).toEqual([keys[0], keys[2], keys[3]]);
      }
    });

    it('on the final retry a failing sink is tried once: the later chunks go straight to dead letters', async () => {
      const config = configFor(azurite.current, { KUBESIFT_SINK: 'blob', KUBESIFT_DEADLETTER_CONTAINER: 'dl-sink-down' });
      const calls: string[] = [];
      const lander: Lander = { kind: 'memory', land: async (_r, key) => (calls.push(key), Promise.reject(new Error('ingest timed out after 30000 ms'))) };
      const out = await landChunks(chunks(), { config, lander, context: ctx(8), label: 'aks', events, landed: () => undefined });
      // Each call would spend the lander's retry budget (~2 min at the defaults): once, not per chunk.
      expect(calls).toEqual([keys[0]]);
      expect(out.map((o) => [o.batchKey, o.land, o.deadLettered])).toEqual(keys.map((k) => [k, null, 1]));
      const docs = await deadLetterDocs(azurite.current, 'dl-sink-down');
      expect(docs.map((d) => d.doc.position.sequenceNumber)).toEqual(events.map((e) => e.position.sequenceNumber));
      expect(docs.every((d) => d.doc.reason === 'land-failed' && d.doc.detail.includes('ingest timed out'))).toBe(true);
      // Before the final retry the same sink failure is thrown at the first chunk, as always.
      calls.length = 0;
      await expect(landChunks(chunks(), { config, lander, context: ctx(3), label: 'aks', events, landed: () => undefined })).rejects.toThrow(/ingest timed out/);
      expect(calls).toEqual([keys[0]]);
    });
  });
});

