// The last-resort rule: throw while the host will retry; on the final retry write the batch
// whole to dead letters and succeed; -1 (retry forever) never dead-letters.
import { describe, expect, it } from 'vitest';
import type { Lander } from '../functions/contracts.js';
import { isFinalAttempt, landOrDeadLetter } from '../functions/land/index.js';
import { batchKey } from '../functions/pipeline.js';
import { useAzurite } from './support/azurite.js';
import { aksEvents, recordsInBody } from './support/aksEvents.js';
import { configFor, deadLetterDocs, run } from './support/landing.js';

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
