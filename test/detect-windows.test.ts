// Windowed detectors: keyword, repeat, rate, inactivity, z-score. Batch-relative time only;
// every distinct firing window is reported once.
import { describe, expect, it } from 'vitest';
import type { AksControlPlaneRow, Detection } from '../functions/contracts.js';
import { detect, loadPolicy } from '../functions/detect/index.js';
import { evaluateDetector, meanStd, type StreamEvent } from '../functions/detect/windows.js';
import type { WindowDetector } from '../functions/detect/policy.js';
import { cpRow, row as auditRow } from './fixtures/detect/events.js';

const T0 = Date.UTC(2025, 3, 20, 16, 0, 0);
const at = (sec: number, msg: string, service = 'kube-apiserver', cluster = 'c1'): AksControlPlaneRow =>
  cpRow({ TimeGenerated: new Date(T0 + sec * 1000).toISOString(), LogMessage: msg, Message: msg, Category: service, Cluster: cluster });
const only = (windows: unknown[]) => loadPolicy({ windows, rules: {} }, 'falco');
const run = (rows: AksControlPlaneRow[], windows: unknown[]): Detection[] =>
  detect({ AksAudit: [], AksControlPlane: rows }, only(windows), new Date(0)).filter((d) => d.Source === 'window');
const ev = (d: Detection) => d.Evidence as Record<string, unknown>;

describe('keyword threshold in a sliding window', () => {
  const kw = { id: 'etcd', kind: 'keyword', service: 'kube-apiserver', keyword: 'ETCD timeout', windowSeconds: 60, threshold: 3 };

  it('reports every distinct window, not only the first', () => {
    const rows = [0, 10, 20, 30, 200, 210, 220, 500].map((s) => at(s, 'etcd timeout while reading'));
    const d = run(rows, [kw]);
    expect(d.map((x) => ev(x).windowStart)).toEqual([new Date(T0).toISOString(), new Date(T0 + 200_000).toISOString()]);
    expect(d.map((x) => ev(x).count)).toEqual([3, 3]);
    expect(d[0]!.RuleId).toBe('window.etcd');
  });

  it('near miss: hits spread wider than the window, or on another service', () => {
    expect(run([0, 61, 122].map((s) => at(s, 'etcd timeout')), [kw])).toEqual([]);
    expect(run([0, 1, 2].map((s) => at(s, 'etcd timeout', 'kube-scheduler')), [kw])).toEqual([]);
  });

  it('is case-sensitive when asked', () => {
    expect(run([0, 1, 2].map((s) => at(s, 'etcd timeout')), [{ ...kw, caseSensitive: true }])).toEqual([]);
  });
});

describe('repeated identical message', () => {
  const rep = { id: 'rep', kind: 'repeat', windowSeconds: 30, threshold: 4 };
  it('fires per (service, message) when a message repeats N times in the window', () => {
    const rows = [...[0, 1, 2, 3].map((s) => at(s, 'same')), ...[0, 1, 2, 3].map((s) => at(s, 'same', 'kube-scheduler')), ...[0, 1, 2].map((s) => at(s, 'other'))];
    const d = run(rows, [rep]);
    expect(d.map((x) => ev(x).service).sort()).toEqual(['kube-apiserver', 'kube-scheduler']);
    expect(d.every((x) => ev(x).message === 'same')).toBe(true);
  });
  it('near miss: three repeats, or four across two clusters', () => {
    expect(run([0, 1, 2].map((s) => at(s, 'same')), [rep])).toEqual([]);
    expect(run([at(0, 'same'), at(1, 'same'), at(2, 'same', 'kube-apiserver', 'c2'), at(3, 'same', 'kube-apiserver', 'c2')], [rep])).toEqual([]);
  });
});

describe('rate spike', () => {
  const rate = { id: 'spike', kind: 'rate', binSeconds: 60, baselineBins: 3, factor: 4, minCount: 10 };
  const burst = (bin: number, n: number) => Array.from({ length: n }, (_, i) => at(bin * 60 + (i % 60), 'x'));
  it('fires on a bin ≥ factor × the preceding bins mean', () => {
    const d = run([...burst(0, 3), ...burst(1, 3), ...burst(2, 3), ...burst(3, 12)], [rate]);
    expect(d).toHaveLength(1);
    expect(ev(d[0]!).count).toBe(12);
    expect(ev(d[0]!).baseline).toBe(3);
  });
  it('near miss: 11 events against a baseline of 3 (below factor 4)', () => {
    expect(run([...burst(0, 3), ...burst(1, 3), ...burst(2, 3), ...burst(3, 11)], [rate])).toEqual([]);
  });
  it('a steady stream whose batch starts late in a bin is no spike: that first bin is no baseline', () => {
    // 5 lines a second from 16:00:50: the first minute bin holds 50, every later one 300.
    const steady = Array.from({ length: 1250 }, (_, i) => at(50 + i * 0.2, `GET /healthz ${i}`));
    const spike = { id: 'spike', kind: 'rate', binSeconds: 60, baselineBins: 10, factor: 5, minCount: 200 };
    expect(run(steady, [spike])).toEqual([]);
    // A real spike after it still fires: the bins from 16:01 on are the baseline.
    const burstAt = Array.from({ length: 1500 }, (_, i) => at(300 + i * 0.04, 'burst'));
    const d = run([...steady.filter((r) => r.TimeGenerated! < new Date(T0 + 300_000).toISOString()), ...burstAt], [spike]);
    expect(d.map((x) => [ev(x).windowStart, ev(x).count, ev(x).baseline, ev(x).baselineBins])).toEqual([[new Date(T0 + 300_000).toISOString(), 1500, 300, 4]]);
  });
});

describe('inactivity relative to the batch data time', () => {
  const quiet = { id: 'quiet', kind: 'inactivity', service: 'kube-apiserver', maxSilenceSeconds: 300 };
  it('reports each gap and the trailing silence up to the latest row of the batch', () => {
    const rows = [at(0, 'a'), at(100, 'b'), at(700, 'c'), at(1500, 'tick', 'kube-scheduler')];
    const d = run(rows, [quiet]);
    expect(d.map((x) => [ev(x).silenceSeconds, ev(x).trailing])).toEqual([[600, false], [800, true]]);
  });
  it('near miss: gaps within the limit; the wall clock is irrelevant', () => {
    expect(run([at(0, 'a'), at(300, 'b'), at(600, 'c')], [quiet])).toEqual([]);
  });
  it("the data time is the cluster's latest row of either table (audit rows keep the clock going)", () => {
    const auditAt = (sec: number, cluster = 'c1') => ({ ...auditRow({}), Cluster: cluster, TimeGenerated: `${new Date(T0 + sec * 1000).toISOString().slice(0, 19)}.000000Z` });
    const audit = [900, 1000, 950].map((sec) => auditAt(sec));
    const rows = { AksAudit: audit, AksControlPlane: [at(0, 'a'), at(100, 'b')] };
    const d = detect(rows, only([quiet]), new Date(0)).filter((x) => x.Source === 'window');
    expect(d.map((x) => [ev(x).silenceSeconds, ev(x).trailing])).toEqual([[900, true]]);
    // Another cluster's later rows (either table) are its own clock, not this cluster's.
    const shared = { AksAudit: [...audit, auditAt(3000, 'c2')], AksControlPlane: [...rows.AksControlPlane, at(2000, 'x', 'kube-apiserver', 'c2')] };
    const byCluster = detect(shared, only([quiet]), new Date(0)).filter((x) => x.Source === 'window');
    expect(byCluster.map((x) => [x.Cluster, ev(x).silenceSeconds])).toEqual([['c1', 900], ['c2', 1000]]);
    // Rows without a valid time do not move it.
    const bad = { ...rows, AksAudit: [...audit, { ...audit[0]!, TimeGenerated: '9999-99-99T99:99:99.999999Z' }, { ...audit[0]!, TimeGenerated: null }] };
    expect(detect(bad, only([quiet]), new Date(0)).filter((x) => x.Source === 'window').map((x) => ev(x).silenceSeconds)).toEqual([900]);
  });
});

describe('z-score of binned volume vs preceding bins', () => {
  // The plain z (poissonFloor off): these small counts would sit under the √mean floor.
  const z = { id: 'z', kind: 'zscore', binSeconds: 10, minBins: 4, threshold: 3, minCount: 1, poissonFloor: false };
  const bins = (counts: number[]) => counts.flatMap((n, b) => Array.from({ length: n }, (_, i) => at(b * 10 + i * 0.1, 'x')));
  it('uses the population std', () => {
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, std: 2 });
  });
  // The first bin of each run below is the group's first, where the batch may start: no baseline.
  it('fires when (x − mean) / std ≥ threshold', () => {
    // baseline [2,4,2,4]: mean 3, std 1 → 6 is z = 3
    const d = run(bins([9, 2, 4, 2, 4, 6]), [z]);
    expect(d).toHaveLength(1);
    expect(ev(d[0]!).z).toBe(3);
  });
  it('near miss: z just below the threshold', () => {
    expect(run(bins([9, 2, 4, 2, 4, 5]), [z])).toEqual([]);
  });
  it('std = 0: any count above a flat baseline fires (z = ∞), equal does not', () => {
    const d = run(bins([1, 3, 3, 3, 3, 4]), [z]);
    expect(d).toHaveLength(1);
    expect(ev(d[0]!)).toMatchObject({ z: null, flatBaseline: true });
    expect(run(bins([1, 3, 3, 3, 3, 3]), [z])).toEqual([]);
  });
  it("the group's first bin is no baseline: only minBins whole bins before a bin make one", () => {
    // [2,4,2,4] then 6 fired above with a first bin before them; without it 2 is the first.
    expect(run(bins([2, 4, 2, 4, 6]), [z])).toEqual([]);
  });
  it("by default the std is at least √mean: a steady stream's +1 or +2 is no anomaly, a real burst is", () => {
    const { poissonFloor: _plain, ...floored } = z;
    const audit = { ...floored, minCount: 100, threshold: 4 };
    // n rows spread over each 10 s bin.
    const bins = (counts: number[]) => counts.flatMap((n, b) => Array.from({ length: n }, (_, i) => at(b * 10 + (i * 9) / n, 'x')));
    const steady = bins([40, 120, 120, 120, 120, 121]);
    const drifting = bins([40, 120, 120, 120, 121, 122]);
    // Plain z: a flat baseline makes 121 infinite, and 122 over [120,120,120,121] is z = 4.9.
    expect(run(steady, [{ ...audit, poissonFloor: false }])).toHaveLength(1);
    expect(run(drifting, [{ ...audit, poissonFloor: false }])).toHaveLength(1);
    expect(run(steady, [audit])).toEqual([]);
    expect(run(drifting, [audit])).toEqual([]);
    // √120 ≈ 11: 4 × 11 above the mean fires, with the spread it used in its evidence.
    const d = run(bins([40, 120, 120, 120, 120, 165]), [audit]);
    expect(d).toHaveLength(1);
    expect(ev(d[0]!)).toMatchObject({ mean: 120, std: 0, flatBaseline: false });
    expect(ev(d[0]!).scale).toBeCloseTo(Math.sqrt(120), 9);
    expect(ev(d[0]!).z).toBeCloseTo(45 / Math.sqrt(120), 9);
    // After silence (a baseline of zeros) any burst past minCount is still an infinite z.
    expect(ev(run(bins([1, 0, 0, 0, 0, 100]), [audit])[0]!)).toMatchObject({ z: null, flatBaseline: true });
  });
});

describe('binned detectors (rate, z-score) over sparse and far-apart times', () => {
  // The plain definition: every bin from the group's first to its last, empty ones included.
  function reference(d: Extract<WindowDetector, { kind: 'rate' | 'zscore' }>, events: StreamEvent[]): [number, number][] {
    const binMs = d.binSeconds * 1000;
    const first = Math.floor(events[0]!.t / binMs);
    const counts = new Array<number>(Math.floor(events[events.length - 1]!.t / binMs) - first + 1).fill(0);
    for (const e of events) counts[Math.floor(e.t / binMs) - first]!++;
    const out: [number, number][] = [];
    counts.forEach((c, i) => {
      // Bin 0 is the group's first, cut short by where the batch starts: no baseline.
      if (d.kind === 'rate') {
        const base = counts.slice(Math.max(1, i - d.baselineBins), i);
        if (i >= 2 && c >= d.minCount && c >= d.factor * (base.reduce((a, b) => a + b, 0) / base.length)) out.push([(first + i) * binMs, c]);
      } else if (i > d.minBins && c >= d.minCount) {
        const { mean, std: plain } = meanStd(counts.slice(i - d.minBins, i));
        const std = d.poissonFloor ? Math.max(plain, Math.sqrt(mean)) : plain;
        if ((std === 0 ? (c > mean ? Infinity : 0) : (c - mean) / std) >= d.threshold) out.push([(first + i) * binMs, c]);
      }
    });
    return out;
  }
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

  it('fire exactly where the every-bin definition fires (random streams with gaps)', () => {
    let firings = 0;
    for (let trial = 0; trial < 400; trial++) {
      const binSeconds = [1, 10, 60][trial % 3]!;
      const events: StreamEvent[] = [];
      let t = T0;
      for (let i = 0; i < 20 + (trial % 150); i++) {
        t += rnd() < 0.1 ? Math.floor(rnd() * binSeconds * 20_000) : Math.floor(rnd() * binSeconds * 200);
        events.push({ t, time: new Date(t).toISOString(), cluster: 'c1', service: 's', message: 'm', auditId: `a${i}` });
      }
      type Binned = Extract<WindowDetector, { kind: 'rate' | 'zscore' }>;
      const rate: Binned = { id: 'r', kind: 'rate', table: 'AksControlPlane', binSeconds, baselineBins: 1 + (trial % 5), factor: 1 + rnd() * 3, minCount: 1 + (trial % 4), priority: 'NOTICE', tags: [] };
      const z: Binned = { id: 'z', kind: 'zscore', table: 'AksControlPlane', binSeconds, minBins: 2 + (trial % 5), threshold: 0.5 + rnd() * 3, minCount: trial % 3, poissonFloor: trial % 2 === 0, priority: 'NOTICE', tags: [] };
      for (const d of [rate, z]) {
        const got = evaluateDetector(d, events, () => t).map((f) => [f.start, f.count]);
        expect(got, `${d.kind} trial ${trial}`).toEqual(reference(d, events));
        firings += got.length;
      }
    }
    expect(firings).toBeGreaterThan(500);
  });

  it("a row a day or more from the batch's median time (a clock fault) is in no window", () => {
    // Go's zero time beside a steady stream: years of empty baseline before it made a rate
    // spike, and a silence of millennia; a far-future row moved every cluster's "now".
    const steady = Array.from({ length: 600 }, (_, i) => at(i * 0.2, `line ${i}`));
    const zero = cpRow({ TimeGenerated: '0001-01-01T00:00:00.000000Z', Category: 'kube-apiserver', Cluster: 'c1', LogMessage: 'x' });
    const ahead = cpRow({ TimeGenerated: new Date(T0 + 86_400_000 + 120_000).toISOString(), Category: 'kube-scheduler', Cluster: 'c1', LogMessage: 'y' });
    const windows = loadPolicy({}).windows;
    expect(run([zero, ...steady], windows)).toEqual([]);
    expect(run([...steady, ahead], windows)).toEqual([]);
    // A day is the margin: an hour-long gap inside the batch still counts as silence.
    const late = at(3600, 'late');
    expect(run([...steady, late], windows).map((x) => x.RuleId)).toEqual(['window.apiserver_silence']);
  });

  it("the clock-fault margin is each cluster's: a cluster a day behind another on the same hub keeps its windows", () => {
    // c1's backlog, with a real 1460 s silence, beside more rows of c2 a day later: one median
    // for both made c1's rows the faults, and its silence was never reported.
    const c1 = [...Array.from({ length: 10 }, (_, i) => at(i * 5, `c1 ${i}`)), at(1510, 'c1 back')];
    const c2 = Array.from({ length: 14 }, (_, i) => at(90_000 + i * 5, `c2 ${i}`, 'kube-apiserver', 'c2'));
    const windows = loadPolicy({}).windows;
    const d = run([...c1, ...c2], windows);
    expect(d.map((x) => [x.RuleId, x.Cluster])).toEqual([['window.apiserver_silence', 'c1']]);
    // A small cluster whose rows are mostly zero times keeps its real ones: c3's silence is reported.
    const zeros = [0, 1, 2].map(() => cpRow({ TimeGenerated: '0001-01-01T00:00:00.000000Z', Category: 'kube-apiserver', Cluster: 'c3', LogMessage: 'z' }));
    const c3 = [at(100, 'c3 a', 'kube-apiserver', 'c3'), at(1560, 'c3 b', 'kube-apiserver', 'c3')];
    const c1Steady = Array.from({ length: 30 }, (_, i) => at(i * 50, `c1 ${i}`));
    expect(run([...c1Steady, ...zeros, ...c3], windows).map((x) => [x.RuleId, x.Cluster])).toEqual([['window.apiserver_silence', 'c3']]);
    // A fault in one cluster is still a fault: c2's zero-time row is in no window.
    const zero = cpRow({ TimeGenerated: '0001-01-01T00:00:00.000000Z', Category: 'kube-apiserver', Cluster: 'c2', LogMessage: 'x' });
    expect(run([...c1, zero, ...c2], windows).map((x) => [x.RuleId, x.Cluster])).toEqual([['window.apiserver_silence', 'c1']]);
  });

  it("a zero time (0001-01-01) beside today's rows costs what the rows cost: no slot per empty bin between", () => {
    // Every-bin arrays over this span would hold ~10^9 entries (heap out of memory: a crash,
    // not an error). streamOf drops such rows now; the binning must not depend on it.
    const e = (t: number): StreamEvent => ({ t, time: new Date(t).toISOString(), cluster: 'c1', service: 's', message: 'x', auditId: '' });
    const today = Array.from({ length: 300 }, (_, i) => e(T0 + i * 1000));
    const events = [e(Date.parse('0001-01-01T00:00:00Z')), ...today, e(Date.parse('9999-12-31T23:59:59.999Z'))];
    type Binned = Extract<WindowDetector, { kind: 'rate' | 'zscore' }>;
    const spike: Binned = { id: 'spike', kind: 'rate', table: 'AksControlPlane', binSeconds: 1, baselineBins: 3, factor: 2, minCount: 2, priority: 'NOTICE', tags: [] };
    const z: Binned = { id: 'z', kind: 'zscore', table: 'AksControlPlane', binSeconds: 1, minBins: 3, threshold: 1, minCount: 2, poissonFloor: true, priority: 'NOTICE', tags: [] };
    const end = () => T0 + 300_000;
    expect([...evaluateDetector(spike, events, end), ...evaluateDetector(z, events, end)]).toEqual([]); // one row a second: no spike, a flat baseline
    const burst = [...events.slice(0, 201), ...Array.from({ length: 10 }, () => e(T0 + 200_500)), ...events.slice(201)];
    expect(evaluateDetector(spike, burst, end).map((f) => [f.start, f.count])).toEqual([[T0 + 200_000, 11]]);
  });
});

describe('window detections', () => {
  it('are stable across runs and can be disabled by window.<id>', () => {
    const kw = { id: 'k', kind: 'keyword', keyword: 'boom', windowSeconds: 10, threshold: 2 };
    const rows = [at(0, 'boom'), at(1, 'boom')];
    expect(run(rows, [kw]).map((d) => d.DetectionId)).toEqual(run(rows, [kw]).map((d) => d.DetectionId));
    const p = loadPolicy({ windows: [kw], rules: { 'window.k': { enabled: false } } }, 'falco');
    expect(detect({ AksAudit: [], AksControlPlane: rows }, p, new Date(0))).toEqual([]);
  });

  it('two firings that start in the same millisecond get two ids, and both land', () => {
    const policy = loadPolicy({});
    // Ten etcd timeouts within one millisecond: two keyword windows of five, same group and start.
    const kw = Array.from({ length: 10 }, (_, i) => cpRow({ TimeGenerated: `2025-04-20T16:36:52.000${String(i).padStart(3, '0')}Z`, LogMessage: 'etcdserver: request timed out', Position: `0/1/${i}` }));
    const etcd = detect({ AksAudit: [], AksControlPlane: kw }, policy, new Date(0)).filter((d) => d.RuleId === 'window.apiserver_etcd_timeouts');
    expect(etcd).toHaveLength(2);
    expect(new Set(etcd.map((d) => d.DetectionId)).size).toBe(2);
    // Twenty 401s with one timestamp from one IP: two bursts.
    const au = Array.from({ length: 20 }, (_, i) => cpRow({ SourceIp: '203.0.113.9', ResponseCode: 401, Position: `0/1/${i}`, AuditId: `a${i}` }));
    const bursts = detect({ AksAudit: [], AksControlPlane: au }, policy, new Date(0)).filter((d) => d.RuleId === 'apiserver_auth_failure_burst');
    expect(bursts).toHaveLength(2);
    expect(new Set(bursts.map((d) => d.DetectionId)).size).toBe(2);
    // The same rows give the same ids again (replays dedupe).
    expect(detect({ AksAudit: [], AksControlPlane: kw }, policy, new Date(0)).filter((d) => d.RuleId === 'window.apiserver_etcd_timeouts').map((d) => d.DetectionId)).toEqual(etcd.map((d) => d.DetectionId));
  });
});
