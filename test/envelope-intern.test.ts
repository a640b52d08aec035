// intern() hands out shared copies of repeated strings: whatever it returns must equal what
// it was given, before and after its bounded table starts over.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { intern, MAX_SHARED_LENGTH } from '../functions/envelope/intern.js';

describe('intern', () => {
  it('returns a string equal to its argument, for repeats and across table resets', () => {
    const rid = (i: number): string => `/subscriptions/s/resourcegroups/rg/providers/microsoft.containerservice/managedclusters/c${i}`;
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < 5000; i++) {
        const s = JSON.parse(JSON.stringify(rid(i % 2500))) as string;
        expect(intern(s)).toBe(rid(i % 2500));
      }
    expect(intern('')).toBe('');
    expect(intern('kube-audit-admin')).toBe('kube-audit-admin');
  });

  it('keeps no string longer than MAX_SHARED_LENGTH alive after the call', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = (): number => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    // 300 distinct 200,000-character strings: 60 MB if the table kept them.
    for (let i = 0; i < 300; i++) {
      const s = `${String(i).padStart(4, '0')}${'u'.repeat(200_000)}`;
      expect(intern(s)).toBe(s);
    }
    expect(heap() - before).toBeLessThan(20 * 2 ** 20);
    const edge = 'e'.repeat(MAX_SHARED_LENGTH);
    expect(intern(edge)).toBe(edge);
  });
});
