// intern() hands out shared copies of repeated strings: whatever it returns must equal what
// it was given, before and after its bounded table starts over.
import { describe, expect, it } from 'vitest';
import { intern } from '../functions/envelope/intern.js';

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
});
