// Dead-letter uploads run a bounded number at a time (a hostile batch holds ~100k of them).
import { describe, expect, it } from 'vitest';
import { eachLimited, UPLOADS_IN_FLIGHT } from '../functions/land/deadLetters.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('eachLimited', () => {
  it('visits every item once with its index, never more than the limit at a time', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await eachLimited(Array.from({ length: 500 }, (_, i) => i * 2), UPLOADS_IN_FLIGHT, async (item, index) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick();
      expect(item).toBe(index * 2);
      seen.push(index);
      inFlight--;
    });
    expect(peak).toBe(UPLOADS_IN_FLIGHT);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    const run = eachLimited(Array.from({ length: 100 }, (_, i) => i), 4, async (i) => {
      started.push(i);
      await tick();
      if (i === 5) throw new Error('upload 5 failed');
    });
    await expect(run).rejects.toThrow('upload 5 failed');
    // Items 0-7 were already running or queued behind 5 by the time it failed; nothing far past it started.
    expect(Math.max(...started)).toBeLessThan(12);
  });

  it('no items: resolves at once', async () => {
    await expect(eachLimited([], 8, async () => undefined)).resolves.toBeUndefined();
  });
});
