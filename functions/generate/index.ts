// Registry of synthetic log types and the entry points the API, the CLI and the local
// runner use: resolve a request, stream a dataset, describe the log types.
import type { Writable } from 'node:stream';
import type { Column } from '../kusto/columns.js';
import { aksApiserver, aksAudit, aksDiagnostics } from './logtypes/aks.js';
import { auditd } from './logtypes/auditd.js';
import { cefFirewall } from './logtypes/cef.js';
import { syslog } from './logtypes/syslog.js';
import { verifone } from './logtypes/verifone.js';
import { windows } from './logtypes/windows.js';
import { GENERATOR_VERSION, normalizeInstant, type DatasetRequest, type Format, type LogTypeName, type ResolvedRequest } from './request.js';
import { DEFAULT_RATE, DEFAULT_START, firstUnitUs, isoToUs } from './time.js';
import type { LogTypeDef } from './types.js';
import { writeEvents, type DatasetSummary } from './write.js';
import { PlanError, planScenarios, timeUnitOf } from './engine.js';
import { Rng } from './prng.js';

export { PlanError } from './engine.js';
export type { DatasetSummary, Label, LabelsFile } from './write.js';
export { labelsFile } from './write.js';
export { DatasetRequest, datasetRequestSchema, canonicalRequest, requestHash, LOG_TYPE_NAMES, FORMATS, GENERATOR_VERSION } from './request.js';
export type { ResolvedRequest, Format, LogTypeName, DatasetRequestInput } from './request.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous event types behind one table
type AnyLogType = LogTypeDef<any>;

/** Log type name → generator. Add a log type by adding a row. */
export const GENERATORS: Readonly<Record<LogTypeName, AnyLogType | undefined>> = {
  syslog,
  auditd,
  cef: cefFirewall,
  windows,
  verifone,
  'aks-audit': aksAudit,
  'aks-apiserver': aksApiserver,
  'aks-diagnostics': aksDiagnostics,
};

export function logTypeDef(name: LogTypeName): AnyLogType {
  const def = GENERATORS[name];
  if (!def) throw new PlanError('logType', `log type ${name} is not implemented yet`);
  return def;
}

/** Metadata for GET /api/log-types (and the web form). */
export interface LogTypeInfo {
  name: LogTypeName;
  description: string;
  formats: readonly Format[];
  defaultFormat: Format;
  table: string | null;
  columns: readonly Column[] | null;
  scenarios: { name: string; technique: string; tactic: string; description: string }[];
}

export function logTypes(): LogTypeInfo[] {
  return Object.values(GENERATORS)
    .filter((d): d is AnyLogType => d !== undefined)
    .map((d) => ({
      name: d.name,
      description: d.description,
      formats: d.formats,
      defaultFormat: d.defaultFormat,
      table: d.table?.name ?? null,
      columns: d.table?.columns ?? null,
      scenarios: d.scenarios.map(({ name, technique, tactic, description }) => ({ name, technique, tactic, description })),
    }));
}

export const LOG_TYPES: readonly LogTypeInfo[] = logTypes();

/** Apply defaults and check the request against its log type; throws PlanError naming the field. */
export function resolveRequest(r: DatasetRequest): ResolvedRequest {
  const def = logTypeDef(r.logType);
  const format = r.format ?? def.defaultFormat;
  if (!def.formats.includes(format))
    throw new PlanError('format', `format ${format} is not available for ${def.name} (use ${def.formats.join(', ')})`);
  const known = def.scenarios.map((s) => s.name);
  // Names beside "all" are checked too: a typo must not vanish into the expansion.
  const named = [...new Set(r.scenarios.filter((s) => s !== 'all'))];
  const unknown = named.filter((s) => !known.includes(s));
  if (unknown.length)
    throw new PlanError('scenarios', `unknown scenario(s) for ${def.name}: ${unknown.join(', ')} (available: ${known.join(', ') || 'none'})`);
  const scenarios = r.scenarios.includes('all') ? known : named;
  // Options that would change nothing are refused rather than ignored: ignored, they would
  // name a second blob of the same bytes and hide the caller's mistake.
  if (r.syslog !== undefined && r.logType !== 'syslog') throw new PlanError('syslog', `syslog options apply to logType syslog only, not ${r.logType}`);
  if (r.syslog?.protocol === 'rfc5424' && r.syslog.pri === false)
    throw new PlanError('syslog.pri', 'pri:false applies to RFC 3164 only (every RFC 5424 message starts with <PRI>): use protocol rfc3164 or drop pri');
  const resolved: ResolvedRequest = {
    logType: r.logType,
    count: r.count,
    seed: r.seed,
    start: normalizeInstant(r.start ?? DEFAULT_START),
    end: r.end !== undefined ? normalizeInstant(r.end) : null,
    rate: r.end !== undefined ? null : (r.rate ?? DEFAULT_RATE),
    format,
    scenarios,
    syslog: r.logType === 'syslog' ? { protocol: r.syslog?.protocol ?? 'rfc5424', pri: r.syslog?.pri ?? true } : null,
    version: GENERATOR_VERSION,
  };
  if (resolved.end !== null) {
    const unit = timeUnitOf(def, resolved);
    if (firstUnitUs(isoToUs(resolved.start), unit) >= isoToUs(resolved.end))
      throw new PlanError('end', `no whole ${unit === 1_000_000 ? 'second' : 'millisecond'} (the time precision of ${def.name} records) falls between start and end: widen the window`);
  }
  // Plan once now so a count too small for the scenarios is a 400, not a half-written blob.
  planScenarios(def, resolved, def.env(new Rng(resolved.seed, 'env'), resolved));
  return resolved;
}

/** Stream the dataset for a resolved request into `sink` (the caller ends the sink). */
export function writeDataset(req: ResolvedRequest, sink: Writable): Promise<DatasetSummary> {
  return writeEvents(logTypeDef(req.logType), req, sink);
}

export { generateAksBodies, type AksBodies, type AksBodiesOptions } from './aks.js';
export { RECORDS_PER_BODY } from './logtypes/aks.js';
