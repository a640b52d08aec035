// Pure query over landed Detections for the page: filter, facet (dropdown values), bucket
// for the chart, newest first. Kept out of the trigger so it is tested without storage.
import type { Detection } from '../contracts.js';

export const FILTER_FIELDS = ['cluster', 'priority', 'rule', 'namespace', 'user', 'source', 'action'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export type DetectionFilters = Partial<Record<FilterField, string>>;

/** The subset of a Detection row the page shows (Evidence/AuditIds stay in ADX). */
export type DetectionView = Pick<
  Detection,
  'TimeGenerated' | 'RuleId' | 'Rule' | 'Priority' | 'Source' | 'Cluster' | 'Namespace' | 'User' | 'Resource' | 'Name' | 'Verb' | 'Operation' | 'Action' | 'Output'
>;

export interface DetectionsQuery {
  filters: DetectionFilters;
  limit: number;
}

export interface Bucket {
  start: string;
  count: number;
}

export interface DetectionsAnswer {
  /** Rows read from the landing (before filters). */
  total: number;
  /** Rows matching the filters. */
  matched: number;
  /** Matching rows, newest first, at most `limit`. */
  detections: DetectionView[];
  /** Distinct values per filter over all rows, for the dropdowns. */
  facets: Record<FilterField, string[]>;
  /**
   * Matching rows per time bucket (oldest first, empty buckets included), and the first and
   * last matching times themselves (buckets start on whole multiples of their width, so the
   * first bucket can start well before the first detection).
   */
  histogram: { bucketMs: number; buckets: Bucket[]; from?: string; to?: string };
}

export const DEFAULT_LIMIT = 200;
export const MAX_LIMIT = 1000;

/** Falco priority names (and the INFO the rule packs use), most severe first: the dropdown order. */
export const PRIORITY_ORDER = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFORMATIONAL', 'INFO', 'DEBUG'];

const FIELD_OF: Record<FilterField, keyof DetectionView> = {
  cluster: 'Cluster',
  priority: 'Priority',
  rule: 'Rule',
  namespace: 'Namespace',
  user: 'User',
  source: 'Source',
  action: 'Action',
};

/** A query parameter the API refuses (a 400 naming it). */
export class QueryError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

/** Parameters besides the filters: the page size, and the function key the host reads from `?code=`. */
const OTHER_PARAMETERS = ['limit', 'code'];

/**
 * Reads filters from a query string. Values are exact matches, but `priority` ignores case
 * (Falco writes `Warning`, the rule packs `WARNING`). A filter given empty (`namespace=`)
 * matches the rows where that value is empty (the facets' '' value, "(none)" on the page); a
 * filter left out matches everything. An unknown parameter (a misspelt filter would match
 * everything), one given twice, and a `limit` that is not an integer from 1 to MAX_LIMIT throw
 * QueryError.
 */
export function parseDetectionsQuery(params: URLSearchParams): DetectionsQuery {
  for (const key of new Set(params.keys())) {
    if (!(FILTER_FIELDS as readonly string[]).includes(key) && !OTHER_PARAMETERS.includes(key))
      throw new QueryError(key, `unknown parameter ${JSON.stringify(key.slice(0, 40))} (filters: ${FILTER_FIELDS.join(', ')}; and limit)`);
    // One value each: the first of two was used, the other dropped without a word.
    const n = params.getAll(key).length;
    if (n > 1 && key !== 'code') throw new QueryError(key, `${key} given ${n} times: each parameter takes one value`);
  }
  const filters: DetectionFilters = {};
  for (const f of FILTER_FIELDS) {
    const v = params.get(f);
    if (v !== null) filters[f] = v;
  }
  const raw = params.get('limit');
  if (raw === null) return { filters, limit: DEFAULT_LIMIT };
  const limit = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new QueryError('limit', `limit must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(raw.slice(0, 20))}`);
  return { filters, limit };
}

function matches(d: DetectionView, filters: DetectionFilters): boolean {
  for (const f of FILTER_FIELDS) {
    const want = filters[f];
    if (want === undefined) continue;
    const have = d[FIELD_OF[f]] ?? '';
    // A rule can be picked by name (dropdown) or by its stable id (links, scripts).
    if (f === 'rule' ? have !== want && d.RuleId !== want : f === 'priority' ? have.toUpperCase() !== want.toUpperCase() : have !== want) return false;
  }
  return true;
}

function facet(rows: readonly DetectionView[], f: FilterField): string[] {
  const values = [...new Set(rows.map((d) => String(d[FIELD_OF[f]] ?? '')))];
  if (f === 'priority') {
    const rank = (p: string) => {
      const i = PRIORITY_ORDER.indexOf(p.toUpperCase());
      return i < 0 ? PRIORITY_ORDER.length : i;
    };
    return values.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }
  return values.sort((a, b) => a.localeCompare(b));
}

/** Bucket widths that read well on an axis; the first giving ≤ MAX_BUCKETS bars wins. */
const STEPS_MS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400, 604_800, 2_592_000].map((s) => s * 1000);
const MAX_BUCKETS = 48;

export function histogram(rows: readonly DetectionView[]): DetectionsAnswer['histogram'] {
  const times = rows.map((d) => Date.parse(d.TimeGenerated ?? '')).filter((t) => Number.isFinite(t));
  if (!times.length) return { bucketMs: 60_000, buckets: [] };
  // A loop, not Math.min(...times): spreading 100k+ arguments overflows the stack.
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const fits = (s: number): boolean => Math.floor(max / s) - Math.floor(min / s) + 1 <= MAX_BUCKETS;
  // Past 30-day bars (a zero time beside today's rows spans millennia): whole days, as many as fit.
  const bucketMs = STEPS_MS.find(fits) ?? Math.ceil((max - min + 1) / (MAX_BUCKETS - 1) / 86_400_000) * 86_400_000;
  const first = Math.floor(min / bucketMs);
  const counts = new Array<number>(Math.floor(max / bucketMs) - first + 1).fill(0);
  for (const t of times) counts[Math.floor(t / bucketMs) - first]!++;
  return {
    bucketMs,
    buckets: counts.map((count, i) => ({ start: new Date((first + i) * bucketMs).toISOString(), count })),
    from: new Date(min).toISOString(),
    to: new Date(max).toISOString(),
  };
}

function view(d: Detection | DetectionView): DetectionView {
  const s = (v: unknown) => (v == null ? '' : String(v));
  return {
    TimeGenerated: d.TimeGenerated,
    RuleId: s(d.RuleId),
    Rule: s(d.Rule),
    Priority: s(d.Priority),
    Source: s(d.Source),
    Cluster: s(d.Cluster),
    Namespace: s(d.Namespace),
    User: s(d.User),
    Resource: s(d.Resource),
    Name: s(d.Name),
    Verb: s(d.Verb),
    Operation: s(d.Operation),
    Action: s(d.Action),
    Output: s(d.Output),
  };
}

export function queryDetections(rows: readonly (Detection | DetectionView)[], q: DetectionsQuery): DetectionsAnswer {
  const all = rows.map(view);
  const matched = all.filter((d) => matches(d, q.filters));
  const newestFirst = [...matched].sort((a, b) => (b.TimeGenerated ?? '').localeCompare(a.TimeGenerated ?? ''));
  const facets = Object.fromEntries(FILTER_FIELDS.map((f) => [f, facet(all, f)])) as Record<FilterField, string[]>;
  return {
    total: all.length,
    matched: matched.length,
    detections: newestFirst.slice(0, q.limit),
    facets,
    histogram: histogram(matched),
  };
}
