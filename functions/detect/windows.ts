// Windowed detectors (LogTrack style) over any row stream. Each detector is data in the
// policy; here they evaluate within one batch, on the batch's own data time. The same
// definitions render as ADX functions in kql.ts for windows that span batches.
//
// Every distinct window that fires is reported: sliding windows are greedy and
// non-overlapping (after a window fires the next one starts after its last event), binned
// detectors report each bin, inactivity reports each gap.
import type { Detection, NormalizedRows } from '../contracts.js';
import { distinct, mapKey } from '../mapKey.js';
import { timeMs } from '../normalize/time.js';
import { makeDetection, uniqueKeys } from './detection.js';
import type { Policy, WindowDetector } from './policy.js';
import { rulePriority } from './rulePriority.js';

/** One row reduced to what the detectors need. */
export interface StreamEvent {
  readonly t: number;
  readonly time: string;
  readonly cluster: string;
  readonly service: string;
  readonly message: string;
  readonly auditId: string;
}

type Table = WindowDetector['table'];

/**
 * Rows of one table as time-sorted events (rows without a valid time are skipped). The
 * message is only built for detectors that read it (keyword, repeat).
 */
export function streamOf(rows: NormalizedRows, table: Table, withMessage = true): StreamEvent[] {
  const out: StreamEvent[] = [];
  if (table === 'AksControlPlane') {
    for (const r of rows.AksControlPlane) {
      const t = timeMs(r.TimeGenerated);
      if (!Number.isNaN(t)) out.push({ t, time: r.TimeGenerated!, cluster: r.Cluster, service: r.Category, message: withMessage ? r.LogMessage || r.Message : '', auditId: r.AuditId });
    }
  } else {
    for (const r of rows.AksAudit) {
      const t = timeMs(r.TimeGenerated);
      if (!Number.isNaN(t))
        out.push({ t, time: r.TimeGenerated!, cluster: r.Cluster, service: r.Category, message: withMessage ? `${r.Verb} ${r.RequestUri} ${r.ResponseCode ?? ''}` : '', auditId: r.AuditId });
    }
  }
  // Rows usually arrive in time order: only sort when they do not.
  for (let i = 1; i < out.length; i++) if (out[i]!.t < out[i - 1]!.t) return withoutClockFaults(out.sort((a, b) => a.t - b.t));
  return withoutClockFaults(out);
}

/** How far from its cluster's median time in the table's batch a row may lie and still be counted. */
export const CLOCK_FAULT_MS = 86_400_000;

/**
 * A time-sorted stream without the rows more than a day from their cluster's median: a clock
 * fault (Go's zero time 0001-01-01, an unset or far-future clock), not data of this batch's
 * windows. One such row beside a steady stream would be a bin with years of empty baseline
 * before it (a rate spike) and a silence of millennia. Those rows still land; no window counts
 * them. Per cluster: clusters sharing a hub keep their own clocks, and one whose backlog
 * arrives a day late is not a fault of the other's.
 */
function withoutClockFaults(sorted: StreamEvent[]): StreamEvent[] {
  if (sorted.length === 0) return sorted;
  const only = sorted[0]!.cluster;
  let one = true;
  for (let i = 1; i < sorted.length && one; i++) one = sorted[i]!.cluster === only;
  if (one) {
    const median = sorted[sorted.length >> 1]!.t;
    let from = 0;
    let to = sorted.length;
    while (sorted[from]!.t < median - CLOCK_FAULT_MS) from++;
    while (sorted[to - 1]!.t > median + CLOCK_FAULT_MS) to--;
    return from === 0 && to === sorted.length ? sorted : sorted.slice(from, to);
  }
  // Each cluster's times are in order within the sorted stream: its median is its middle one.
  const times = new Map<string, number[]>();
  for (const e of sorted) {
    const list = times.get(e.cluster);
    if (list) list.push(e.t);
    else times.set(e.cluster, [e.t]);
  }
  // A cluster whose own median is a fault (most of its rows at Go's zero time) while some of
  // its rows are near the table's median takes the table's: its real rows are not the faults.
  const table = sorted[sorted.length >> 1]!.t;
  const nearTable = (t: number): boolean => Math.abs(t - table) <= CLOCK_FAULT_MS;
  const median = new Map<string, number>();
  for (const [cluster, list] of times) {
    const own = list[list.length >> 1]!;
    median.set(cluster, nearTable(own) || !list.some(nearTable) ? own : table);
  }
  const kept = sorted.filter((e) => Math.abs(e.t - median.get(e.cluster)!) <= CLOCK_FAULT_MS);
  return kept.length === sorted.length ? sorted : kept;
}

/**
 * Each cluster's latest time over the given time-sorted streams: its "now" for inactivity.
 * Per cluster, as clusters sharing a hub keep their own clocks and pace: another cluster's
 * later rows are no evidence that this one went quiet.
 */
function latestByCluster(streams: readonly (readonly StreamEvent[])[]): Map<string, number> {
  const latest = new Map<string, number>();
  for (const events of streams) {
    let seen: string | undefined;
    // From the end: a cluster's first event met is its latest; runs of one cluster are skipped.
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.cluster === seen) continue;
      seen = e.cluster;
      const t = latest.get(seen);
      if (t === undefined || e.t > t) latest.set(seen, e.t);
    }
  }
  return latest;
}

/** A window that fired, before it becomes a Detection. */
export interface Firing {
  readonly group: string;
  readonly cluster: string;
  readonly service: string;
  readonly start: number;
  readonly end: number;
  readonly count: number;
  readonly events: readonly StreamEvent[];
  readonly detail: Record<string, unknown>;
  readonly summary: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Events grouped by cluster+service (key `cluster\0service`), optionally subdivided by
 * `sub` (key `cluster\0service\0sub`), in order of first appearance. Key strings are built
 * once per group, not per event: events arrive in runs of one cluster and service, and
 * looking up existing strings reuses their cached hashes.
 */
function groupByClusterService(events: readonly StreamEvent[], sub?: (e: StreamEvent) => string): Map<string, StreamEvent[]> {
  const out = new Map<string, StreamEvent[]>();
  const index = new Map<string, Map<string, Map<string, StreamEvent[]>>>();
  let lastCluster: string | undefined;
  let lastService: string | undefined;
  let groups: Map<string, StreamEvent[]> | undefined;
  for (const e of events) {
    if (e.cluster !== lastCluster || e.service !== lastService) {
      const ck = mapKey(e.cluster);
      const sk = mapKey(e.service);
      let byService = index.get(ck);
      if (!byService) index.set(ck, (byService = new Map()));
      groups = byService.get(sk);
      if (!groups) byService.set(sk, (groups = new Map()));
      lastCluster = e.cluster;
      lastService = e.service;
    }
    // Messages can be 16 KiB and more (see mapKey): a long one is keyed by its digest.
    const k = sub ? mapKey(sub(e)) : '';
    let list = groups!.get(k);
    if (!list) {
      groups!.set(k, (list = []));
      out.set(sub ? `${e.cluster}\u0000${e.service}\u0000${k}` : `${e.cluster}\u0000${e.service}`, list);
    }
    list.push(e);
  }
  return out;
}

const messageOf = (e: StreamEvent): string => e.message;

/** Greedy sliding windows of `windowMs` holding ≥ threshold events (events sorted by t). */
export function slidingWindows(events: readonly StreamEvent[], windowMs: number, threshold: number): StreamEvent[][] {
  const found: StreamEvent[][] = [];
  let start = 0;
  for (let j = 0; j < events.length; j++) {
    while (events[j]!.t - events[start]!.t >= windowMs) start++;
    if (j - start + 1 >= threshold) {
      found.push(events.slice(start, j + 1));
      start = j + 1;
    }
  }
  return found;
}

/**
 * The group's non-empty bins in time order: their numbers (t / binMs, floored; ascending,
 * as the events are sorted) and events, index for index. Empty bins are implied (count 0)
 * rather than stored, so a group whose times span years (a zero time such as 0001-01-01
 * beside today's rows) costs what its events cost, not one slot per empty bin in between.
 */
export function binEvents(events: readonly StreamEvent[], binMs: number): { keys: number[]; members: StreamEvent[][] } {
  const keys: number[] = [];
  const members: StreamEvent[][] = [];
  for (const e of events) {
    const b = Math.floor(e.t / binMs);
    if (keys.length > 0 && keys[keys.length - 1] === b) members[members.length - 1]!.push(e);
    else {
      keys.push(b);
      members.push([e]);
    }
  }
  return { keys, members };
}

/**
 * A non-empty bin after a group's first: what the binned detectors score. One instance is
 * moved from bin to bin (no object or closure per bin, which is per row on sparse data).
 */
class ScoredBin {
  group = '';
  keys: readonly number[] = [];
  bins: readonly StreamEvent[][] = [];
  j = 0;
  /** Bin number (t / binMs, floored). */
  get bin(): number {
    return this.keys[this.j]!;
  }
  /**
   * Whole bins before this one: those after the group's first. The first is no history: the
   * batch (or chunk) can start inside it, so it holds only that bin's tail, and scored
   * against it a steady stream's next bin looks like a spike.
   */
  get history(): number {
    return this.keys[this.j]! - this.keys[0]! - 1;
  }
  get members(): StreamEvent[] {
    return this.bins[this.j]!;
  }
  /** Counts of the `n` bins before this one (empty ones 0), oldest first: walks back over the non-empty ones. */
  before(n: number): number[] {
    const out = new Array<number>(n).fill(0);
    const b = this.bin;
    for (let k = this.j - 1; k >= 0 && this.keys[k]! >= b - n; k--) out[n - (b - this.keys[k]!)] = this.bins[k]!.length;
    return out;
  }
}

/**
 * Each non-empty bin but the first of each cluster+service group, in time order: an empty
 * bin never fires either binned detector (rate needs minCount ≥ 1; an empty bin's z is ≤ 0,
 * below any positive threshold), and the first has no history (see ScoredBin.history).
 */
function forEachScoredBin(events: readonly StreamEvent[], binMs: number, visit: (s: ScoredBin) => void): void {
  const s = new ScoredBin();
  for (const [group, list] of groupByClusterService(events)) {
    const { keys, members } = binEvents(list, binMs);
    s.group = group;
    s.keys = keys;
    s.bins = members;
    for (s.j = 1; s.j < keys.length; s.j++) visit(s);
  }
}

/** The spread a z-score divides by: the baseline's std, at least √mean when `poissonFloor`. */
export const zScale = (std: number, mean: number, poissonFloor: boolean): number => (poissonFloor ? Math.max(std, Math.sqrt(mean)) : std);

/** Population mean and standard deviation. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const n = xs.length;
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / n;
  let v = 0;
  for (const x of xs) v += (x - mean) * (x - mean);
  return { mean, std: Math.sqrt(v / n) };
}

/** A cluster's latest data time: where a trailing silence ends. */
export type DataEnd = (cluster: string) => number;

type Evaluator<K extends WindowDetector['kind']> = (d: Extract<WindowDetector, { kind: K }>, events: readonly StreamEvent[], dataEnd: DataEnd) => Firing[];

const firing = (group: string, win: readonly StreamEvent[], detail: Record<string, unknown>, summary: string, start?: number, end?: number): Firing => ({
  group, cluster: win[0]?.cluster ?? '', service: win[0]?.service ?? '',
  start: start ?? win[0]!.t, end: end ?? win[win.length - 1]!.t, count: win.length, events: win, detail, summary,
});

const EVALUATORS: { [K in WindowDetector['kind']]: Evaluator<K> } = {
  keyword: (d, events) => {
    const kw = d.caseSensitive ? d.keyword : d.keyword.toLowerCase();
    const hits = events.filter((e) => (d.caseSensitive ? e.message : e.message.toLowerCase()).includes(kw));
    return [...groupByClusterService(hits)].flatMap(([g, list]) =>
      slidingWindows(list, d.windowSeconds * 1000, d.threshold).map((w) =>
        firing(g, w, { keyword: d.keyword, threshold: d.threshold, windowSeconds: d.windowSeconds }, `"${d.keyword}" seen ${w.length} times within ${d.windowSeconds}s`)));
  },
  repeat: (d, events) =>
    [...groupByClusterService(events, messageOf)].flatMap(([g, list]) =>
      slidingWindows(list, d.windowSeconds * 1000, d.threshold).map((w) =>
        firing(g, w, { message: w[0]!.message.slice(0, 500), threshold: d.threshold, windowSeconds: d.windowSeconds }, `same message ${w.length} times within ${d.windowSeconds}s: ${w[0]!.message.slice(0, 120)}`))),
  rate: (d, events) => {
    const binMs = d.binSeconds * 1000;
    const out: Firing[] = [];
    forEachScoredBin(events, binMs, (s) => {
      const c = s.members.length;
      if (c < d.minCount || s.history < 1) return;
      // Up to baselineBins whole bins before it.
      const base = s.before(Math.min(d.baselineBins, s.history));
      const baseline = base.reduce((a, x) => a + x, 0) / base.length;
      if (c >= d.factor * baseline)
        out.push(firing(s.group, s.members, { binSeconds: d.binSeconds, baseline, baselineBins: base.length, factor: d.factor, minCount: d.minCount }, `${c} events in ${d.binSeconds}s vs baseline ${baseline.toFixed(1)} (×${d.factor})`, s.bin * binMs, (s.bin + 1) * binMs));
    });
    return out;
  },
  inactivity: (d, events, dataEnd) => {
    const maxMs = d.maxSilenceSeconds * 1000;
    const out: Firing[] = [];
    for (const [g, list] of groupByClusterService(events)) {
      const end = dataEnd(list[0]!.cluster);
      for (let i = 1; i <= list.length; i++) {
        const from = list[i - 1]!;
        const to = i < list.length ? list[i]!.t : end;
        if (to - from.t <= maxMs) continue;
        const silence = Math.round((to - from.t) / 1000);
        out.push(firing(g, [from], { maxSilenceSeconds: d.maxSilenceSeconds, silenceSeconds: silence, trailing: i === list.length }, `no ${from.service} rows for ${silence}s (limit ${d.maxSilenceSeconds}s)`, from.t, to));
      }
    }
    return out;
  },
  zscore: (d, events) => {
    const binMs = d.binSeconds * 1000;
    const out: Firing[] = [];
    forEachScoredBin(events, binMs, (s) => {
      const c = s.members.length;
      if (s.history < d.minBins || c < d.minCount) return;
      const { mean, std } = meanStd(s.before(d.minBins));
      const scale = zScale(std, mean, d.poissonFloor);
      // scale = 0 (a flat baseline, of zeros with the floor): any count above the mean is an infinite z; equal is z = 0.
      const z = scale === 0 ? (c > mean ? Infinity : 0) : (c - mean) / scale;
      if (z < d.threshold) return;
      out.push(firing(s.group, s.members, { binSeconds: d.binSeconds, mean, std, scale, z: Number.isFinite(z) ? z : null, flatBaseline: scale === 0, threshold: d.threshold, baselineBins: d.minBins }, `${c} events in ${d.binSeconds}s, z=${Number.isFinite(z) ? z.toFixed(2) : '∞ (flat baseline)'} vs mean ${mean.toFixed(1)}`, s.bin * binMs, (s.bin + 1) * binMs));
    });
    return out;
  },
};

export function evaluateDetector(d: WindowDetector, events: readonly StreamEvent[], dataEnd: DataEnd): Firing[] {
  const scoped = d.service === undefined ? events : events.filter((e) => e.service === d.service);
  if (scoped.length === 0) return [];
  return (EVALUATORS[d.kind] as Evaluator<typeof d.kind>)(d as never, scoped, dataEnd);
}

export function runWindowDetectors(rows: NormalizedRows, policy: Policy, out: Detection[]): void {
  if (policy.windows.length === 0) return;
  const streams = new Map<string, StreamEvent[]>();
  const needsMessage = (d: WindowDetector): boolean => d.kind === 'keyword' || d.kind === 'repeat';
  /** Each table's rows as a sorted stream, built once per (table, message) and shared. */
  const stream = (table: Table, withMessage: boolean): StreamEvent[] => {
    // A stream with messages serves a detector that needs none as well.
    const key = `${table}:${withMessage}`;
    let events = streams.get(key) ?? (withMessage ? undefined : streams.get(`${table}:true`));
    if (!events) streams.set(key, (events = streamOf(rows, table, withMessage)));
    return events;
  };
  // Each cluster's latest valid row time across both tables (the last events of sorted
  // streams the other detectors need anyway), built when an inactivity detector asks.
  let latest: Map<string, number> | undefined;
  const dataEnd: DataEnd = (cluster) => (latest ??= latestByCluster([stream('AksControlPlane', false), stream('AksAudit', false)])).get(cluster) ?? -Infinity;
  const unique = uniqueKeys();
  for (const d of policy.windows) {
    const ruleId = `window.${d.id}`;
    const priority = rulePriority(policy, ruleId, d.priority);
    if (priority === null) continue;
    const events = stream(d.table, needsMessage(d));
    if (events.length === 0) continue;
    for (const f of evaluateDetector(d, events, dataEnd)) {
      const auditIds = distinct(f.events.map((e) => e.auditId), 100);
      out.push(makeDetection({
        time: iso(f.end), key: unique(ruleId, [f.group, String(f.start)]),
        ruleId, rule: d.name ?? d.id, priority, source: 'window', cluster: f.cluster,
        output: `${d.name ?? d.id}: ${f.summary} (service=${f.service} cluster=${f.cluster} window=${iso(f.start)}..${iso(f.end)})`,
        evidence: { detector: d.id, kind: d.kind, table: d.table, service: f.service, windowStart: iso(f.start), windowEnd: iso(f.end), count: f.count, ...f.detail },
        auditIds, tags: ['window', d.kind, ...d.tags],
      }));
    }
  }
}
