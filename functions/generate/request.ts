// The API contract of POST /api/datasets (and the CLI): one zod schema, resolved to a
// fully-defaulted request whose canonical JSON names the blobs and seeds the generator.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_RATE, DEFAULT_START, isoToUs } from './time.js';

export const LOG_TYPE_NAMES = [
  'syslog',
  'auditd',
  'cef',
  'windows',
  'verifone',
  'aks-audit',
  'aks-apiserver',
  'aks-diagnostics',
] as const;
export type LogTypeName = (typeof LOG_TYPE_NAMES)[number];

export const FORMATS = ['raw', 'csv', 'jsonl', 'eventhub'] as const;
export type Format = (typeof FORMATS)[number];

/** Bumped whenever generator output changes for the same request (it is part of blob names). */
export const GENERATOR_VERSION = 10;
export const MAX_COUNT = 1_000_000;
/** count when a request omits it, lowered to the deployment's cap when that is smaller. */
export const DEFAULT_COUNT = 1000;

const instant = z.iso.datetime({ offset: true, precision: undefined });

/**
 * Event times are whole microseconds since 1970 in a double, exact up to 2^53 µs (mid-2255):
 * past that they round (an end of 9999-12-31T23:59:59.999999Z became year 10000), and before
 * 1970 a negative count has no fraction to write. Requests stay inside these years.
 */
const FIRST_INSTANT = '1970-01-01T00:00:00Z';
const LAST_INSTANT = '2199-12-31T23:59:59.999999Z';
const FIRST_INSTANT_US = isoToUs(FIRST_INSTANT);
const LAST_INSTANT_US = isoToUs(LAST_INSTANT);
const YEARS = `${FIRST_INSTANT.slice(0, 4)}-${LAST_INSTANT.slice(0, 4)}`;

/**
 * A span (µs) that `count` Poisson arrivals at `rate`/s stay within with overwhelming odds:
 * their sum has mean count/rate and standard deviation √count/rate, and 40 mean gaps of
 * slack keep even a single event's exponential tail inside (e^-50 ≈ 2·10^-22).
 */
function spanBoundUs(count: number, rate: number): number {
  return ((count + 10 * Math.sqrt(count) + 40) / rate) * 1e6;
}

/** Request schema; `maxCount` comes from KUBESIFT_DATASET_MAX_COUNT (never above 1,000,000). */
export function datasetRequestSchema(maxCount = MAX_COUNT) {
  const cap = Math.min(maxCount, MAX_COUNT);
  const count = z.number().int().min(1).max(cap);
  const rate = z.number().positive().max(1_000_000);
  return z
    .object({
      logType: z.enum(LOG_TYPE_NAMES).describe('Which log type to generate'),
      // zod does not run .max() on a default, so the default itself must respect the cap:
      // an omitted count means "a default-sized dataset", never a 400 or more than allowed.
      count: count
        .default(Math.min(DEFAULT_COUNT, cap))
        .describe('Number of events (auditd: events, each 1-6 records; AKS: audit/log records)'),
      // zod's int() is the safe-integer range already (a min/max on top said it twice).
      seed: z.number().int().default(0).describe('PRNG seed; any safe integer, 0 included'),
      start: instant.optional().describe(`First event time (ISO-8601, years ${YEARS}); default ${DEFAULT_START}, never the wall clock`),
      end: instant.optional().describe(`Last event time (ISO-8601, years ${YEARS}); events spread evenly between start and end. Excludes rate`),
      rate: rate.optional().describe('Mean events per second (Poisson arrivals); default 10. Excludes end'),
      format: z.enum(FORMATS).optional().describe('raw lines, csv (RFC 4180, table columns), jsonl (table rows), eventhub (AKS bodies {"records":[...]})'),
      scenarios: z.array(z.string().min(1)).max(20).default([]).describe('Attack scenarios to inject (see GET /api/log-types); ["all"] for every one'),
      ingest: z.boolean().optional().describe('Queue the blob into ADX (default: KUBESIFT_INGEST_DATASETS)'),
      syslog: z
        .object({
          protocol: z.enum(['rfc3164', 'rfc5424']).default('rfc5424'),
          pri: z.boolean().default(true).describe('RFC 3164 only: prefix <PRI> (files written by rsyslog omit it)'),
        })
        .strict()
        .optional()
        .describe('Syslog wire options'),
    })
    .strict()
    // zod runs this after field errors that do not stop parsing (a malformed instant, rate 0):
    // it judges only what parsed (instants that are dates, a count and rate their own schemas
    // accept), so each problem is reported once, on its own field.
    .superRefine((r, ctx) => {
      let unusable = false;
      for (const key of ['start', 'end'] as const) {
        const at = r[key] === undefined ? undefined : isoToUs(r[key]);
        if (at === undefined || (at >= FIRST_INSTANT_US && at <= LAST_INSTANT_US)) continue;
        unusable = true;
        // NaN: not a date at all, which the field's own issue says.
        if (!Number.isNaN(at)) ctx.addIssue({ code: 'custom', path: [key], message: `${key} must fall in the years ${YEARS} (${FIRST_INSTANT} to ${LAST_INSTANT})` });
      }
      if (unusable) return;
      if (r.end !== undefined && r.rate !== undefined)
        ctx.addIssue({ code: 'custom', path: ['rate'], message: 'give either end or rate, not both' });
      if (r.end !== undefined) {
        const s = isoToUs(r.start ?? DEFAULT_START);
        if (!(isoToUs(r.end) > s)) ctx.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
      } else if (count.safeParse(r.count).success && (r.rate === undefined || rate.safeParse(r.rate).success) && isoToUs(r.start ?? DEFAULT_START) + spanBoundUs(r.count, r.rate ?? DEFAULT_RATE) > LAST_INSTANT_US) {
        ctx.addIssue({
          code: 'custom',
          path: [r.rate === undefined ? 'start' : 'rate'],
          message: `${r.count} events at ${r.rate ?? DEFAULT_RATE}/s from ${r.start ?? DEFAULT_START} would run past ${LAST_INSTANT.slice(0, 10)}: raise rate, lower count or start earlier`,
        });
      }
    });
}

export const DatasetRequest = datasetRequestSchema();
export type DatasetRequestInput = z.input<typeof DatasetRequest>;
export type DatasetRequest = z.output<typeof DatasetRequest>;

/** A request with every default applied and scenarios expanded: the canonical form. */
export interface ResolvedRequest {
  logType: LogTypeName;
  count: number;
  seed: number;
  start: string;
  end: string | null;
  rate: number | null;
  format: Format;
  scenarios: string[];
  syslog: { protocol: 'rfc3164' | 'rfc5424'; pri: boolean } | null;
  version: number;
}

/** Canonical JSON (fixed key order) of a resolved request. */
export function canonicalRequest(r: ResolvedRequest): string {
  return JSON.stringify({
    version: r.version,
    logType: r.logType,
    count: r.count,
    seed: r.seed,
    start: r.start,
    end: r.end,
    rate: r.rate,
    format: r.format,
    scenarios: r.scenarios,
    syslog: r.syslog,
  });
}

/** First 16 hex digits of sha256(canonical request): the blob folder of the dataset. */
export function requestHash(r: ResolvedRequest): string {
  return createHash('sha256').update(canonicalRequest(r)).digest('hex').slice(0, 16);
}

/** Normalize an instant to ISO-8601 UTC keeping microseconds (2024-01-01T00:00:00.000000Z). */
export function normalizeInstant(iso: string): string {
  const us = isoToUs(iso);
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(us - Math.floor(us / 1_000_000) * 1_000_000).padStart(6, '0')}Z`;
}
