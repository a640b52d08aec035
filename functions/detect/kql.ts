// The windowed detectors of a policy rendered as ADX stored functions, so ADX can run the
// same definitions across batches (over a lookback; make-series caps it). Every function returns
// the same columns: TimeGenerated (window end), DetectorId, Detector, Priority, Cluster,
// Service, WindowStart, WindowEnd, Count, Detail (dynamic).
//
// Sliding windows (keyword, repeat) are evaluated at step resolution: counts per
// window/6 bin, a moving sum over 6 bins, and one row per run of firing steps (the
// rising edge), so each distinct window is reported once.
import type { Policy, WindowDetector } from './policy.js';

export interface WindowFunction {
  name: string;
  /** Parameter list with parentheses. */
  parameters: string;
  /** Body without the surrounding braces. */
  body: string;
  docstring: string;
}

const STEPS_PER_WINDOW = 6;

// A raw CR ends a KQL string literal as a newline does (the language service reports it).
export const kqlString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
const span = (seconds: number): string => `${Math.max(1, Math.round(seconds * 1000))}ms`;
const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toString());

/** make-series builds at most 2^20 values per series (more is an error or a cut series). */
const MAKE_SERIES_MAX_BINS = 2 ** 20;
const DAY_MS = 86_400_000;

/**
 * The longest lookback a make-series of `stepSeconds` bins can cover: its time axis runs from
 * the lookback's start to as late as a day ahead (the clock-fault margin). Rounded down to a
 * whole hour; at least one step.
 */
export function maxLookbackMs(stepSeconds: number): number {
  const stepMs = Math.max(1, Math.round(stepSeconds * 1000));
  const fits = Math.floor(((MAKE_SERIES_MAX_BINS - 1) * stepMs - DAY_MS) / 3_600_000) * 3_600_000;
  return Math.max(stepMs, fits);
}

/** The step of the make-series a detector builds, in seconds (none for inactivity). */
const seriesStep = (d: WindowDetector): number | undefined =>
  d.kind === 'keyword' || d.kind === 'repeat' ? d.windowSeconds / STEPS_PER_WINDOW : d.kind === 'rate' || d.kind === 'zscore' ? d.binSeconds : undefined;

/** Rows of the detector's table with the Message each detector reads (same as windows.ts). */
function source(d: WindowDetector): string {
  const msg = d.table === 'AksControlPlane'
    ? 'iff(isempty(LogMessage), Message, LogMessage)'
    : "strcat(Verb, ' ', RequestUri, ' ', tostring(ResponseCode))";
  const step = seriesStep(d);
  // A lookback longer than the series can hold is cut to what it can (see maxLookbackMs).
  const since = step === undefined ? 'ago(lookback)' : `ago(min_of(lookback, ${maxLookbackMs(step)}ms))`;
  return [
    `${d.table}`,
    // A row stamped a day or more ahead is a clock fault (as windows.ts skips it): it would
    // stretch make-series to its year and end every silence there.
    `| where TimeGenerated between (${since} .. now(1d))`,
    ...(d.service ? [`| where Category == ${kqlString(d.service)}`] : []),
    `| project TimeGenerated, Cluster, Service = Category, Msg = ${msg}`,
  ].join('\n');
}

function finish(d: WindowDetector, detail: string): string {
  return [
    `| project TimeGenerated = WindowEnd, DetectorId = ${kqlString(d.id)}, Detector = ${kqlString(d.name ?? d.id)}, Priority = ${kqlString(d.priority)},`,
    `    Cluster, Service, WindowStart, WindowEnd, Count = tolong(Count), Detail = ${detail}`,
  ].join('\n');
}

function sliding(d: WindowDetector & { windowSeconds: number; threshold: number }, filter: string[], extraKey: string, detail: string): string {
  const step = d.windowSeconds / STEPS_PER_WINDOW;
  const key = `strcat(Cluster, '|', Service${extraKey ? `, '|', ${extraKey}` : ''})`;
  // Per message (repeat), make-series would build a series for every distinct message over the
  // whole lookback, and nearly every control-plane line is distinct: keep only the messages
  // that occur `threshold` times in all, the least any firing window needs.
  const rows = extraKey
    ? [
        `let rows = ${source(d)};`,
        'rows',
        `| join kind=leftsemi (rows | summarize Total = count() by Cluster, Service, ${extraKey} | where Total >= ${d.threshold}) on Cluster, Service, ${extraKey}`,
      ]
    : [source(d)];
  return [
    ...rows,
    ...filter,
    `| make-series Count = count() default = 0 on TimeGenerated step ${span(step)} by Cluster, Service${extraKey ? `, ${extraKey}` : ''}`,
    `| extend Moving = series_fir(Count, repeat(1, ${STEPS_PER_WINDOW}), false, false)`,
    '| mv-expand TimeGenerated to typeof(datetime), Moving to typeof(real)',
    `| extend Key = ${key}`,
    '| sort by Key asc, TimeGenerated asc',
    `| extend Fired = Moving >= ${d.threshold}`,
    '| extend Rising = Fired and not(prev(Fired) and prev(Key) == Key)',
    '| where Rising',
    `| extend WindowEnd = TimeGenerated + ${span(step)}, Count = Moving`,
    `| extend WindowStart = WindowEnd - ${span(d.windowSeconds)}`,
    finish(d, detail),
  ].join('\n');
}

function binned(d: WindowDetector & { binSeconds: number }, baseline: number, score: string[], detail: string): string {
  const filter = `dynamic([0, ${Array.from({ length: baseline }, () => '1').join(', ')}])`;
  return [
    source(d),
    `| make-series Count = count() default = 0 on TimeGenerated step ${span(d.binSeconds)} by Cluster, Service`,
    // Trailing filter [0,1,…,1] normalized: mean of the `baseline` bins before each bin.
    `| extend Mean = series_fir(Count, ${filter}, true, false), MeanSq = series_fir(series_multiply(Count, Count), ${filter}, true, false)`,
    // make-series gives every group the whole input's time axis: a cluster or service whose
    // first row comes later has empty bins before it, which are no baseline (scored against
    // them, its first bin would always fire). Its baseline starts after its first bin with
    // data, which the lookback (or the group's start) cuts short, as windows.ts does.
    '| extend First = array_index_of(series_greater(Count, 0), true)',
    '| mv-expand with_itemindex = i TimeGenerated to typeof(datetime), Count to typeof(long), Mean to typeof(real), MeanSq to typeof(real)',
    `| where i > First + ${baseline}`,
    ...score,
    `| extend WindowStart = TimeGenerated, WindowEnd = TimeGenerated + ${span(d.binSeconds)}`,
    finish(d, detail),
  ].join('\n');
}

const RENDER: { [K in WindowDetector['kind']]: (d: Extract<WindowDetector, { kind: K }>) => string } = {
  keyword: (d) =>
    sliding(d, [`| where Msg ${d.caseSensitive ? 'contains_cs' : 'contains'} ${kqlString(d.keyword)}`], '',
      `bag_pack('keyword', ${kqlString(d.keyword)}, 'threshold', ${d.threshold}, 'windowSeconds', ${num(d.windowSeconds)})`),
  repeat: (d) =>
    sliding(d, [], 'Msg', `bag_pack('message', substring(Msg, 0, 500), 'threshold', ${d.threshold}, 'windowSeconds', ${num(d.windowSeconds)})`),
  rate: (d) =>
    binned(d, d.baselineBins, [`| where Count >= ${d.minCount} and Count >= ${num(d.factor)} * Mean`],
      `bag_pack('baseline', Mean, 'factor', ${num(d.factor)}, 'binSeconds', ${num(d.binSeconds)})`),
  zscore: (d) =>
    binned(d, d.minBins, [
      '| extend Std = sqrt(max_of(MeanSq - Mean * Mean, 0.0))',
      // windows.ts zScale: at least √mean (a count's own noise) unless poissonFloor is off.
      `| extend Scale = ${d.poissonFloor ? 'max_of(Std, sqrt(Mean))' : 'Std'}`,
      // Scale = 0 (flat baseline): above the mean is an infinite z, equal is 0.
      '| extend Z = iff(Scale == 0, iff(Count > Mean, real(+inf), 0.0), (Count - Mean) / Scale)',
      `| where Count >= ${d.minCount} and Z >= ${num(d.threshold)}`,
    ], `bag_pack('mean', Mean, 'std', Std, 'scale', Scale, 'z', iff(isinf(Z), real(null), Z), 'flatBaseline', Scale == 0)`),
  inactivity: (d) =>
    [
      // "Now" is each cluster's latest data time in both tables, never the wall clock (as in-batch).
      'let ends = union (AksControlPlane | where TimeGenerated between (ago(lookback) .. now(1d)) | project Cluster, TimeGenerated), (AksAudit | where TimeGenerated between (ago(lookback) .. now(1d)) | project Cluster, TimeGenerated) | summarize DataEnd = max(TimeGenerated) by Cluster;',
      source(d),
      '| lookup kind=leftouter ends on Cluster',
      "| extend Key = strcat(Cluster, '|', Service)",
      '| sort by Key asc, TimeGenerated asc',
      '| extend Until = iff(next(Key) == Key, next(TimeGenerated), DataEnd)',
      `| where Until - TimeGenerated > ${span(d.maxSilenceSeconds)}`,
      '| extend WindowStart = TimeGenerated, WindowEnd = Until, Count = 1',
      finish(d, `bag_pack('silenceSeconds', (WindowEnd - WindowStart) / 1s, 'maxSilenceSeconds', ${num(d.maxSilenceSeconds)}, 'trailing', WindowEnd == DataEnd)`),
    ].join('\n'),
};

const DOC: { [K in WindowDetector['kind']]: string } = {
  keyword: 'keyword threshold in a sliding window',
  repeat: 'identical message repeated in a sliding window, per service',
  rate: 'bin count against the mean of the preceding bins',
  inactivity: 'silence longer than the limit, relative to the latest data time',
  zscore: 'z-score of binned volume against the preceding bins (population std, at least √mean unless poissonFloor is off)',
};

const lookbackCap = (d: WindowDetector): string => {
  const step = seriesStep(d);
  return step === undefined ? '' : `; lookback at most ${+(maxLookbackMs(step) / DAY_MS).toFixed(2)}d (make-series holds 2^20 bins of ${num(step)}s)`;
};

/** Function name for a detector id: Window_<id>. */
export const windowFunctionName = (id: string): string => `Window_${id}`;

export function windowDetectorFunctions(policy: Policy): WindowFunction[] {
  return policy.windows.map((d) => ({
    name: windowFunctionName(d.id),
    parameters: '(lookback:timespan = 1d)',
    body: (RENDER[d.kind] as (x: WindowDetector) => string)(d),
    docstring: `KubeSift window detector ${d.id} (${d.kind}): ${DOC[d.kind]}${d.service ? ` on ${d.service}` : ''}${lookbackCap(d)}`,
  }));
}
