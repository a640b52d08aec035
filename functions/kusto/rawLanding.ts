// Optional raw-landing pattern for users of ADX's native Event Hub data connection instead of
// the Functions app: each Event Hub body lands as one row `(Records: dynamic)` in a short-lived
// raw table, and update policies expand it into AksAudit / AksControlPlane with KQL.
// The column expressions are tables keyed by column name, typed against the column tables:
// a new column without an expression is a compile error, not a silently empty column.
import { TRUNCATED_ANNOTATION } from '../contracts.js';
import { UNIT_MS } from '../normalize/duration.js';
import type { Column } from './columns.js';
import { AksAuditColumns, AksControlPlaneColumns } from './pipelineTables.js';
import type { StoredFunction } from './queries.js';

export const RAW_TABLE = 'AksDiagnosticsRaw';
export const RAW_MAPPING = `${RAW_TABLE}_json`;
export const RAW_COLUMNS: readonly Column[] = [{ name: 'Records', type: 'dynamic', doc: 'records[] of one AKS diagnostic Event Hub body' }];

// AKS, or Arc-enabled Kubernetes (/connectedClusters/), as the envelope reads it.
const cluster = `tolower(extract(@'(?i)/(?:managedclusters|connectedclusters)/([^/]+)', 1, tostring(r.resourceId)))`;
// The native connection does not hand the hub position to an update policy, so a row's
// Position here is the record's own identity: a hash of the record and its index in the body.
// A redelivered body gives the same values (the Unique views collapse it); '' would make
// every raw-landed control-plane row one key of AksControlPlaneUnique.
const position = `strcat('raw/', hash_sha256(tostring(r)), '/', RecordIndex)`;

// kube-audit: properties.log is the audit Event as JSON text (can be cut at 16 KiB: then
// parse_json yields a string and the regexes below salvage what they can).
const AUDIT: Record<(typeof AksAuditColumns)[number]['name'], string> = {
  TimeGenerated: "coalesce(todatetime(e.stageTimestamp), todatetime(e.requestReceivedTimestamp), todatetime(r['time']))",
  Category: 'tostring(r.category)',
  Level: 'tostring(e.level)',
  AuditId: `coalesce(tostring(e.auditID), extract(@'"auditID":"([^"]+)"', 1, log))`,
  Stage: `coalesce(tostring(e.stage), extract(@'"stage":"([^"]+)"', 1, log))`,
  RequestUri: `coalesce(tostring(e.requestURI), extract(@'"requestURI":"([^"]+)"', 1, log))`,
  Verb: `coalesce(tostring(e.verb), extract(@'"verb":"([^"]+)"', 1, log))`,
  User: 'e.user',
  ImpersonatedUser: 'e.impersonatedUser',
  SourceIps: 'e.sourceIPs',
  UserAgent: 'tostring(e.userAgent)',
  ObjectRef: 'e.objectRef',
  ResponseStatus: 'e.responseStatus',
  RequestObject: 'e.requestObject',
  ResponseObject: 'e.responseObject',
  RequestReceivedTime: 'todatetime(e.requestReceivedTimestamp)',
  StageReceivedTime: 'todatetime(e.stageTimestamp)',
  Annotations: 'e.annotations',
  PodName: 'tostring(r.properties.pod)',
  ResourceId: 'tostring(r.resourceId)',
  Cluster: cluster,
  UserName: `coalesce(tostring(e.user.username), extract(@'"username":"([^"]+)"', 1, log))`,
  UserGroups: 'e.user.groups',
  ImpersonatedUserName: 'tostring(e.impersonatedUser.username)',
  Resource: 'tostring(e.objectRef.resource)',
  Subresource: 'tostring(e.objectRef.subresource)',
  Namespace: 'tostring(e.objectRef.namespace)',
  Name: 'tostring(e.objectRef.name)',
  ApiGroup: 'tostring(e.objectRef.apiGroup)',
  ApiVersion: 'tostring(e.objectRef.apiVersion)',
  ResponseCode: 'toint(e.responseStatus.code)',
  AuthorizationDecision: `tostring(e.annotations['authorization.k8s.io/decision'])`,
  AuthorizationReason: `tostring(e.annotations['authorization.k8s.io/reason'])`,
  SourceIp: 'tostring(e.sourceIPs[0])',
  Truncated: `gettype(e) != 'dictionary' or tostring(e.annotations['${TRUNCATED_ANNOTATION}']) == 'true'`,
  Position: position,
};

// klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
const KLOG = `@'^([IWEF])(\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d+)\\s+(\\d+) ([^:\\]]+):(\\d+)\\] ?(.*)'`;
const field = (name: string): string => `extract(@'${name}="([^"]*)"', 1, log)`;

// The klog header time with the record's year, one back or forward across a new year (as
// normalize/klog.ts klogTime), else the record time.
const KLOG_TIME = `coalesce(todatetime(strcat(tostring(hdrYear), '-', substring(hdr, 0, 2), '-', substring(hdr, 2, 2), 'T', substring(hdr, 5), 'Z')), recTime)`;

// httplog's latency is a Go time.Duration string, read as normalize/duration.ts reads it (its
// unit table): one unit below a second ("214.666µs", "9.05ms", "512ns"), else h/m/s parts
// ("1.2s", "8m18.0006s", "1h2m0s"). Anything else is null, as in the app.
const SUB_SECOND_UNITS = [...UNIT_MS].filter(([, ms]) => ms <= 1);
const LATENCY_SUB_SECOND = `^([0-9.]+)(${SUB_SECOND_UNITS.map(([u]) => u).join('|')})$`;
const LATENCY_H_M_S = '^(?:([0-9]+)h)?(?:([0-9]+)m)?([0-9.]+)s$';
/** A KQL real literal (`1.0`, not the int `1`: case() wants one type). */
const realLiteral = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(n));
const hms = (group: number): string => `todouble(extract(@'${LATENCY_H_M_S}', ${group}, lat))`;
const LATENCY_MS = `case(
        lat == '0', 0.0,
        latUnit != '', todouble(extract(@'${LATENCY_SUB_SECOND}', 1, lat)) * case(${SUB_SECOND_UNITS.map(([u, ms]) => `latUnit == '${u}', ${realLiteral(ms)}`).join(', ')}, real(null)),
        lat matches regex @'${LATENCY_H_M_S}', 1000.0 * (3600.0 * coalesce(${hms(1)}, 0.0) + 60.0 * coalesce(${hms(2)}, 0.0) + ${hms(3)}),
        real(null))`;

/** Extends of the control-plane expansion: the line without AKS's trailing newline, its severity, header time and latency text. */
const CONTROL_PLANE_EXTEND = [
  `log = trim_end(@'\\r?\\n', log)`,
  `sev = extract(${KLOG}, 1, log), hdr = extract(${KLOG}, 2, log), recTime = todatetime(r['time']), lat = extract(@'latency="([^"]*)"', 1, log)`,
  `latUnit = extract(@'${LATENCY_SUB_SECOND}', 2, lat)`,
  `hdrYear = getyear(recTime) + case(toint(substring(hdr, 0, 2)) == 12 and getmonth(recTime) == 1, -1, toint(substring(hdr, 0, 2)) == 1 and getmonth(recTime) == 12, 1, 0)`,
].join('\n| extend ');

const CONTROL_PLANE: Record<(typeof AksControlPlaneColumns)[number]['name'], string> = {
  TimeGenerated: KLOG_TIME,
  Category: 'tostring(r.category)',
  Level: `case(sev == 'E', 'ERROR', sev == 'W', 'WARNING', sev == 'F', 'FATAL', 'INFO')`,
  Message: 'log',
  PodName: 'tostring(r.properties.pod)',
  Stream: 'tostring(r.properties.stream)',
  ResourceId: 'tostring(r.resourceId)',
  Cluster: cluster,
  Severity: 'sev',
  Thread: `tolong(extract(${KLOG}, 3, log))`,
  SourceFile: `extract(${KLOG}, 4, log)`,
  SourceLine: `toint(extract(${KLOG}, 5, log))`,
  LogMessage: `coalesce(extract(${KLOG}, 6, log), log)`,
  Verb: field('verb'),
  RequestUri: field('URI'),
  LatencyMs: LATENCY_MS,
  UserAgent: field('userAgent'),
  AuditId: field('audit-ID'),
  SourceIp: `extract(@'srcIP="\\[?([^"\\]]+?)\\]?:\\d+"', 1, log)`,
  ResponseCode: `toint(extract(@' resp=(\\d+)', 1, log))`,
  Fields: 'dynamic(null)',
  Position: position,
};

const AUDIT_CATEGORIES = `dynamic(['kube-audit', 'kube-audit-admin'])`;

function projection(columns: readonly Column[], exprs: Record<string, string>): string {
  return columns.map((c) => `    ${c.name} = ${exprs[c.name]}`).join(',\n');
}

// What the app dead-letters instead of landing is no row here either: an item with no
// category or no properties.log text, which is what a metric (a diagnostic setting that also
// sends metrics) and another resource's diagnostic record (its setting pointed at this hub)
// look like. (The app names those two apart in its dead letters: envelope/foreign.ts.)
const AKS_RECORD = `isnotempty(tostring(r.category)) and gettype(r.properties.log) == 'string'`;

// Both expand functions share one prelude: one row per record the app would land, split by
// category, the log text pulled out; each then adds what its projection needs (the parsed
// Event, the klog severity).
function expandFunction(
  table: string,
  what: string,
  categoryFilter: string,
  extend: string,
  columns: readonly Column[],
  exprs: Record<string, string>,
): StoredFunction {
  return {
    name: `${table}Expand`,
    folder: 'KubeSift/RawLanding',
    docstring: `Update-policy source: ${what} records of ${RAW_TABLE} as ${table} rows`,
    parameters: '()',
    body: `${RAW_TABLE}
| mv-expand with_itemindex = RecordIndex r = Records
| where ${AKS_RECORD}
| where tostring(r.category) ${categoryFilter}
| extend log = tostring(r.properties.log)
| extend ${extend}
| project
${projection(columns, exprs)}`,
  };
}

/** Stored functions the update policies call. */
export function expandFunctions(): StoredFunction[] {
  return [
    expandFunction('AksAudit', 'kube-audit', `in (${AUDIT_CATEGORIES})`, 'e = parse_json(log)', AksAuditColumns, AUDIT),
    expandFunction('AksControlPlane', 'control-plane', `!in (${AUDIT_CATEGORIES})`, CONTROL_PLANE_EXTEND, AksControlPlaneColumns, CONTROL_PLANE),
  ];
}

/** Target table → expand function, for the update policies. */
export const UPDATE_POLICIES: readonly { table: string; query: string }[] = [
  { table: 'AksAudit', query: 'AksAuditExpand()' },
  { table: 'AksControlPlane', query: 'AksControlPlaneExpand()' },
];
