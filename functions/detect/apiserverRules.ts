// kube-apiserver rules over AksControlPlane rows (access-log lines parsed by the normalizer):
// per-row rules in the same Cond form as the k8s-audit pack, plus one windowed rule
// (a burst of 401/403 from one source IP).
import { distinct, mapKey } from '../mapKey.js';
import type { AksControlPlaneRow, Detection } from '../contracts.js';
import { and, compile, eq, evidence, exists, inNetworks, isIn, matches, not, or, parseTemplate, render, RowContext, startsWithAny, type Cond, type Template, type Test } from './conditions.js';
import { makeDetection, uniqueKeys } from './detection.js';
import { networkMatcher } from './networks.js';
import { requestTargetOnce } from './requestPath.js';
import type { Policy, PriorityName } from './policy.js';
import { rulePriority } from './rulePriority.js';

type Row = AksControlPlaneRow;
const nonEmpty = (s: string | null | undefined): string | undefined => (s ? s : undefined);

/** Strip the port of "1.2.3.4:5678" / "[::1]:5678" (older access lines carry it). */
export function ipOnly(s: string): string {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    return end > 0 ? s.slice(1, end) : s;
  }
  const colon = s.indexOf(':');
  return colon > 0 && colon === s.lastIndexOf(':') ? s.slice(0, colon) : s;
}

/**
 * The server's own attribution to the anonymous user, in a reason it writes: `User
 * "system:anonymous"` (RBAC), or one level of escaping down inside a logged Status. A name a
 * client chose is quoted one level deeper than the server's words (`User \\\"system:…`).
 */
const ANONYMOUS_REASON = /[Uu]ser \\?"system:anonymous\\?"/;
const ANONYMOUS = 'system:anonymous';

/**
 * `system:anonymous` when a structured line's server-written fields say its request was the
 * anonymous user's: a `user` field, or an `addedInfo`/`reason` that attributes it. The rest of
 * a line is the client's to choose (URI, user agent, Audit-ID, a trace's headers, an object's
 * name), so a line that only mentions the name attributes nothing; nor does an unstructured or
 * legacy line, whose text mixes both.
 */
function anonymousAttribution(r: Row): string | undefined {
  const m = r.LogMessage || r.Message;
  if (!m || !(m.startsWith('"') || m.startsWith('HTTP '))) return undefined;
  const f = r.Fields;
  if (f === null || typeof f !== 'object' || Array.isArray(f)) return undefined;
  const o = f as Record<string, unknown>;
  if (o.user === ANONYMOUS || o.username === ANONYMOUS) return ANONYMOUS;
  for (const k of ['addedInfo', 'reason']) {
    const v = o[k];
    if (typeof v === 'string' && ANONYMOUS_REASON.test(v)) return ANONYMOUS;
  }
  return undefined;
}

export const CP_FIELDS = [
  { name: 'cp.category', doc: 'diagnostic category', get: (r: Row) => nonEmpty(r.Category) },
  { name: 'cp.verb', doc: 'HTTP method / verb, upper-cased', get: (r: Row) => nonEmpty(r.Verb?.toUpperCase()) },
  { name: 'cp.uri', doc: 'request URI', get: (r: Row) => nonEmpty(r.RequestUri) },
  { name: 'cp.resource', doc: 'resource the URI names, read as the apiserver routes it (decoded path; `secrets` of /api/v1/namespaces/prod/secrets/db)', get: (r: Row) => (r.RequestUri ? nonEmpty(requestTargetOnce(r.RequestUri)?.resource) : undefined) },
  { name: 'cp.subresource', doc: 'subresource the URI names (`exec` of …/pods/web-0/exec)', get: (r: Row) => (r.RequestUri ? nonEmpty(requestTargetOnce(r.RequestUri)?.subresource) : undefined) },
  { name: 'cp.useragent', doc: 'user agent', get: (r: Row) => nonEmpty(r.UserAgent) },
  { name: 'cp.sourceip', doc: 'client IP without port', get: (r: Row) => (r.SourceIp ? ipOnly(r.SourceIp) : undefined) },
  { name: 'cp.code', doc: 'HTTP status', get: (r: Row) => (r.ResponseCode === null ? undefined : String(r.ResponseCode)) },
  { name: 'cp.message', doc: 'log message', get: (r: Row) => nonEmpty(r.LogMessage) ?? nonEmpty(r.Message) },
  { name: 'cp.auditid', doc: 'audit ID of the request line', get: (r: Row) => nonEmpty(r.AuditId) },
  { name: 'cp.anonymous', doc: 'system:anonymous when the server\'s own words attribute the request to the anonymous user (a structured line\'s user field, or its RBAC reason); absent otherwise', get: anonymousAttribution },
] as const;
type CpField = (typeof CP_FIELDS)[number]['name'];
const CP_INDEX: ReadonlyMap<string, number> = new Map(CP_FIELDS.map((f, i) => [f.name, i]));

export interface ApiserverRuleDef {
  readonly id: string;
  readonly name: string;
  readonly priority: PriorityName;
  readonly tags: readonly string[];
  readonly output: string;
  readonly when: (p: Policy) => Cond<CpField>;
}

const fromTrustedIp = (p: Policy): Cond<CpField> => inNetworks('cp.sourceip', p.apiserver.trustedSourceIps);

export const APISERVER_RULES: readonly ApiserverRuleDef[] = [
  {
    id: 'apiserver_anonymous_request', name: 'Anonymous API Request', priority: 'WARNING', tags: ['apiserver', 'T1078.001'],
    output: 'request attributed to system:anonymous (verb=%cp.verb uri=%cp.uri src=%cp.sourceip code=%cp.code message=%cp.message)',
    // cp.message first: the cheap test, so most lines never look at their fields.
    when: (p) => and(matches('cp.message', /system:anonymous/), exists('cp.anonymous'), not(fromTrustedIp(p))),
  },
  {
    id: 'apiserver_exec_attach_portforward', name: 'Pod Exec/Attach/Port-forward Request', priority: 'NOTICE', tags: ['apiserver', 'T1609'],
    output: 'exec/attach/port-forward request (verb=%cp.verb uri=%cp.uri src=%cp.sourceip agent=%cp.useragent code=%cp.code)',
    when: (p) => and(isIn('cp.subresource', ['exec', 'attach', 'portforward']), eq('cp.resource', 'pods'), not(fromTrustedIp(p))),
  },
  {
    id: 'apiserver_secret_read_unexpected_agent', name: 'Secret Read by Unexpected User Agent', priority: 'WARNING', tags: ['apiserver', 'T1552.007'],
    output: 'secret read by an unexpected client (verb=%cp.verb uri=%cp.uri agent=%cp.useragent src=%cp.sourceip code=%cp.code)',
    when: (p) => and(
      isIn('cp.verb', ['GET', 'LIST', 'WATCH']),
      eq('cp.resource', 'secrets'),
      startsWithAny('cp.code', ['2']), // a read that succeeded; refused ones feed the 401/403 burst rule
      not(startsWithAny('cp.useragent', p.apiserver.secretReaderAgents)),
      not(fromTrustedIp(p)),
    ),
  },
];

export const AUTH_BURST_RULE = { id: 'apiserver_auth_failure_burst', name: 'Burst of 401/403 From One Source', priority: 'WARNING' as PriorityName, tags: ['apiserver', 'T1110'] };

/** The id of the rule a policy key names (its id or its name); undefined for another pack's. */
export function apiserverRuleId(key: string): string | undefined {
  return [...APISERVER_RULES, AUTH_BURST_RULE].find((r) => r.id === key || r.name === key)?.id;
}

interface Compiled { def: ApiserverRuleDef; priority: string; test: Test<Row>; output: Template }
const cache = new WeakMap<Policy, readonly Compiled[]>();

function compilePack(p: Policy): readonly Compiled[] {
  const hit = cache.get(p);
  if (hit) return hit;
  const out: Compiled[] = [];
  for (const def of APISERVER_RULES) {
    const priority = rulePriority(p, def.id, def.priority);
    if (priority === null) continue;
    const exc = p.exceptions[def.id] ?? [];
    let cond: Cond = def.when(p);
    if (exc.length) cond = and(cond, not(or(...exc.map((item) => and(...Object.entries(item).map(([f, v]) => isIn(f, v)))))));
    out.push({ def, priority, test: compile<Row>(cond, CP_INDEX), output: parseTemplate(def.output, CP_INDEX) });
  }
  cache.set(p, out);
  return out;
}

export function runApiserverRules(rows: readonly Row[], policy: Policy, out: Detection[]): void {
  const pack = compilePack(policy);
  const ctx = new RowContext<Row>(CP_FIELDS.map((f) => f.get));
  for (const row of rows) {
    ctx.reset(row);
    for (const rule of pack) {
      if (!rule.test(ctx)) continue;
      // The Detection columns name the object as the k8s-audit pack does (resource kind, not the URI, which the evidence keeps).
      const target = row.RequestUri ? requestTargetOnce(row.RequestUri) : undefined;
      out.push(makeDetection({
        time: row.TimeGenerated,
        // Position repeats across hubs (and in a re-created hub): the cluster and category tell them apart.
        key: [row.Cluster, row.Category, row.Position, row.AuditId, row.TimeGenerated ?? ''],
        ruleId: rule.def.id, rule: rule.def.name, priority: rule.priority, source: 'apiserver', cluster: row.Cluster,
        verb: row.Verb, namespace: target?.namespace, resource: target?.resource, name: target?.name,
        output: `${rule.def.name}: ${render(rule.output, ctx)}`,
        evidence: evidence(rule.output, ctx),
        auditIds: row.AuditId ? [row.AuditId] : [],
        tags: rule.def.tags,
      }));
    }
  }
  authFailureBursts(rows, policy, out);
}

/** Greedy non-overlapping windows: each burst is reported once, the next one starts after it. */
function authFailureBursts(rows: readonly Row[], p: Policy, out: Detection[]): void {
  const priority = rulePriority(p, AUTH_BURST_RULE.id, AUTH_BURST_RULE.priority);
  if (priority === null) return;
  const trusted = networkMatcher(p.apiserver.trustedSourceIps);
  // Keyed by mapKey: a hostile srcIP can be any length.
  const bySource = new Map<string, { ip: string; list: { t: number; row: Row }[] }>();
  for (const row of rows) {
    if (row.ResponseCode !== 401 && row.ResponseCode !== 403) continue;
    if (!row.SourceIp || !row.TimeGenerated) continue;
    const ip = ipOnly(row.SourceIp);
    if (trusted(ip)) continue;
    const t = Date.parse(row.TimeGenerated);
    if (Number.isNaN(t)) continue;
    const key = mapKey(`${row.Cluster}\u0000${ip}`);
    let source = bySource.get(key);
    if (!source) bySource.set(key, (source = { ip, list: [] }));
    source.list.push({ t, row });
  }
  const W = p.apiserver.authFailureWindowSeconds * 1000, N = p.apiserver.authFailureThreshold;
  const unique = uniqueKeys();
  for (const { ip, list } of bySource.values()) {
    list.sort((a, b) => a.t - b.t);
    let start = 0;
    for (let j = 0; j < list.length; j++) {
      while (list[j]!.t - list[start]!.t >= W) start++;
      if (j - start + 1 < N) continue;
      const win = list.slice(start, j + 1);
      const first = win[0]!.row, last = win[win.length - 1]!.row;
      const codes = { '401': win.filter((e) => e.row.ResponseCode === 401).length, '403': win.filter((e) => e.row.ResponseCode === 403).length };
      out.push(makeDetection({
        time: last.TimeGenerated, key: unique(AUTH_BURST_RULE.id, [last.Cluster, ip, first.TimeGenerated ?? '']),
        ruleId: AUTH_BURST_RULE.id, rule: AUTH_BURST_RULE.name, priority, source: 'apiserver', cluster: last.Cluster,
        output: `${AUTH_BURST_RULE.name}: ${win.length} failed requests (401=${codes['401']} 403=${codes['403']}) from ${ip} between ${first.TimeGenerated} and ${last.TimeGenerated}`,
        evidence: { sourceIp: ip, count: win.length, codes, windowStart: first.TimeGenerated, windowEnd: last.TimeGenerated, threshold: N, windowSeconds: p.apiserver.authFailureWindowSeconds, uris: distinct(win.map((e) => e.row.RequestUri), 20) },
        auditIds: distinct(win.map((e) => e.row.AuditId), 100),
        tags: AUTH_BURST_RULE.tags,
      }));
      start = j + 1;
    }
  }
}
