// Strings longer than 16,383 characters are hashed by V8 by their length alone, so Map keys
// that long share one bucket. AKS cuts long klog lines at exactly 16 KiB: grouping thousands
// of them by message was quadratic (4,000 rows: a minute). mapKey digests long keys.
import { describe, expect, it } from 'vitest';
import type { AksControlPlaneRow } from '../functions/contracts.js';
import { defaultPolicy, detect } from '../functions/detect/index.js';
import { distinct, mapKey, MAX_PLAIN_KEY } from '../functions/mapKey.js';

const cp = (i: number, message: string): AksControlPlaneRow =>
  ({
    TimeGenerated: `2025-04-20T16:36:52.${String(i).padStart(6, '0')}Z`, Category: 'kube-apiserver', Level: 'INFO', Message: message, PodName: 'p', Stream: 'stderr',
    ResourceId: '', Cluster: 'c1', Severity: 'I', Thread: 1, SourceFile: 'f.go', SourceLine: 1, LogMessage: message, Verb: '', RequestUri: '', LatencyMs: null,
    UserAgent: '', AuditId: '', SourceIp: '', ResponseCode: null, Fields: null, Position: `0/1/${i}`,
  }) as AksControlPlaneRow;

describe('mapKey', () => {
  it('keeps short keys, digests long ones and short ones that look like digests', () => {
    expect(mapKey('kube-apiserver')).toBe('kube-apiserver');
    expect(mapKey('')).toBe('');
    const a = 'x'.repeat(MAX_PLAIN_KEY + 1);
    const b = `${'x'.repeat(MAX_PLAIN_KEY)}y`;
    expect(mapKey(a)).toMatch(/^\u0000/);
    expect(mapKey(a)).toBe(mapKey(`${'x'.repeat(MAX_PLAIN_KEY)}x`));
    expect(mapKey(a)).not.toBe(mapKey(b));
    expect(mapKey('x'.repeat(MAX_PLAIN_KEY))).toBe('x'.repeat(MAX_PLAIN_KEY));
    // A short string shaped like a digest is digested too, so it cannot equal another's digest.
    expect(mapKey(mapKey(a))).not.toBe(mapKey(a));
  });

  it('distinct keeps first occurrences in order, skips empties, stops at the limit', () => {
    const long = 'z'.repeat(20_000);
    expect(distinct(['b', '', 'a', 'b', long, `${long}`, 'c'], 10)).toEqual(['b', 'a', long, 'c']);
    expect(distinct(['a', 'b', 'c'], 2)).toEqual(['a', 'b']);
  });
});

describe('repeated-message detector on 16 KiB messages', () => {
  const policy = defaultPolicy('aks');
  const run = (rows: AksControlPlaneRow[]) => detect({ AksAudit: [], AksControlPlane: rows }, policy, new Date(0)).filter((d) => d.RuleId === 'window.repeated_message');

  it('groups equal long messages together and distinct ones apart', () => {
    const same = 'm'.repeat(16_384);
    expect(run(Array.from({ length: 60 }, (_, i) => cp(i, same)))).toHaveLength(1);
    expect(run(Array.from({ length: 60 }, (_, i) => cp(i, `${'m'.repeat(16_376)}${String(i).padStart(8, '0')}`)))).toHaveLength(0);
  });

  it('costs about what messages just under the limit cost (it was ~80× at 2,000 rows)', () => {
    const rows = (len: number): AksControlPlaneRow[] => Array.from({ length: 2000 }, (_, i) => cp(i, `${'x'.repeat(len - 8)}${String(i).padStart(8, '0')}`));
    const time = (r: AksControlPlaneRow[]): number => {
      const t0 = performance.now();
      run(r);
      return performance.now() - t0;
    };
    const short = rows(16_000);
    const long = rows(16_384);
    time(short);
    time(long);
    const ratios: number[] = [];
    for (let k = 0; k < 3; k++) ratios.push(time(long) / time(short));
    ratios.sort((a, b) => a - b);
    // Digesting 16 KiB per row costs a few times a Map insert; quadratic grouping cost ~80×.
    expect(ratios[1]).toBeLessThan(10);
  });
});
