// Generator throughput per log type and peak RSS, each run in a fresh process on the built
// JS so one type's heap or JIT state never flatters the next. The last run of each type
// writes the RSS-sized dataset (1,000,000 lines in the full bench); its lines/s joins the
// median with the shorter runs.
import { GENERATORS, LOG_TYPE_NAMES, type LogTypeName } from '../../functions/generate/index.js';
import { MAX_COUNT } from '../../functions/generate/request.js';
import { probe } from './spawn.js';
import { median, round } from './stats.js';

interface GenProbe {
  records: number;
  events: number;
  bytes: number;
  ms: number;
  cpu_ms: number;
  format: string;
  rss_mb: number;
}

export interface GeneratorResult {
  /** Lines (records) per CPU-second of the generating process, median of runs (judged against the targets). */
  lps: Record<string, number>;
  /** Lines per wall-clock second, median of runs (swings with the machine's other load). */
  lpsWall: Record<string, number>;
  /** Peak RSS (MB) of the process that wrote `rssLines` lines, per type. */
  rss_mb: Record<string, number>;
  rssLines: number;
  /** Records the RSS run actually wrote, per type (at least `rssLines`). */
  rssRecords: Record<string, number>;
  formats: Record<string, string>;
  missing: string[];
}

export function implementedTypes(): LogTypeName[] {
  return LOG_TYPE_NAMES.filter((t) => GENERATORS[t] !== undefined);
}

/**
 * `runs - 1` runs of `lines` events, then one run sized to write at least `rssLines` records
 * (a type's count is in events; an auditd event holds several lines, so the short runs give
 * the records-per-event ratio). Lines/s counts the records actually written: for the Event
 * Hub formats (AKS types) a "line" is one record, not one body. Seeds: `seed + run`.
 */
export function measureGenerators(rssLines: number, lines: number, runs: number, seed: number, onType?: (t: string) => void): GeneratorResult {
  const res: GeneratorResult = { lps: {}, lpsWall: {}, rss_mb: {}, rssLines, rssRecords: {}, formats: {}, missing: LOG_TYPE_NAMES.filter((t) => GENERATORS[t] === undefined) };
  for (const type of implementedTypes()) {
    onType?.(type);
    const rates: number[] = [];
    const wall: number[] = [];
    let perEvent = 1;
    for (let r = 0; r < Math.max(1, runs - 1); r++) {
      const p = probe<GenProbe>(['gen', type, String(lines), String(seed + r)]);
      rates.push(p.records / (p.cpu_ms / 1000));
      wall.push(p.records / (p.ms / 1000));
      perEvent = p.records / p.events;
      res.formats[type] = p.format;
    }
    // A little over, so a type whose events vary in size still reaches rssLines (a request
    // holds at most MAX_COUNT events: one record each for every type but auditd).
    const events = (n: number): string => String(Math.min(MAX_COUNT, Math.ceil(n)));
    let big = probe<GenProbe>(['gen', type, events((rssLines / perEvent) * 1.01), String(seed + runs)]);
    if (big.records < rssLines) big = probe<GenProbe>(['gen', type, events((rssLines / big.records) * big.events * 1.05), String(seed + runs)]);
    rates.push(big.records / (big.cpu_ms / 1000));
    wall.push(big.records / (big.ms / 1000));
    res.rss_mb[type] = round(big.rss_mb, 1);
    res.rssRecords[type] = big.records;
    // Down, so a rounded rate never passes a target the measured one missed.
    res.lps[type] = Math.floor(median(rates));
    res.lpsWall[type] = Math.floor(median(wall));
  }
  return res;
}
