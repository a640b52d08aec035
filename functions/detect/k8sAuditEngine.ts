// Runs the k8s-audit rule pack over AksAudit rows. The pack is compiled once per policy
// object (WeakMap cache): exceptions, enable/disable and priority overrides are folded in
// at compile time, so the per-row loop is only field reads and closure calls.
import { mapKey } from '../mapKey.js';
import { auditIdentity } from '../normalize/audit.js';
import type { AksAuditRow, Detection } from '../contracts.js';
import { and, compile, evidence, isIn, not, or, parseTemplate, render, RowContext, type Cond, type Template, type Test } from './conditions.js';
import { makeDetection } from './detection.js';
import { FIELD_INDEX, FIELDS, uriParam, type FieldName } from './fields.js';
import { AUDIT_RULES, type RuleDef } from './k8sAuditRules.js';
import type { Policy } from './policy.js';
import { rulePriority } from './rulePriority.js';

interface CompiledRule {
  readonly def: RuleDef;
  readonly priority: string;
  readonly test: Test<AksAuditRow>;
  readonly output: Template;
  /** Stages / resources the rule can match at all (null = any). */
  readonly stages: ReadonlySet<string> | null;
  readonly resources: ReadonlySet<string> | null;
}

const RULE_BY_KEY = new Map<string, RuleDef>();
for (const r of AUDIT_RULES) {
  RULE_BY_KEY.set(r.id, r);
  RULE_BY_KEY.set(r.name, r);
}

/** The id of the rule a policy key names (its id or its Falco name); undefined for another pack's. */
export function k8sAuditRuleId(key: string): string | undefined {
  return RULE_BY_KEY.get(key)?.id;
}

function exceptionCond(items: readonly Record<string, readonly string[]>[]): Cond<FieldName> | undefined {
  if (items.length === 0) return undefined;
  return or(...items.map((item) => and(...Object.entries(item).map(([f, values]) => isIn(f as FieldName, values)))));
}

/**
 * Evidence of every detection besides its output's fields: when, and who from where (the
 * request's client address and agent, the groups, and a user it impersonated), and what
 * became of it (the response code, the URI with a dry run's flag), which an analyst needs
 * whatever the rule's output line prints.
 */
const EVIDENCE_FIELDS: readonly [string, number][] = (['ka.stage', 'ka.auditid', 'ka.response.code', 'ka.uri', 'ka.user.groups', 'ka.impuser.name', 'ka.sourceip', 'ka.useragent'] as const).map((n) => [n, FIELD_INDEX.get(n)!]);

/**
 * Values a field must take for `cond` to be true (null = unconstrained), read statically off
 * the tree: lets the engine skip rules that cannot match a row's stage or resource.
 */
export function requiredValues(cond: Cond, field: string): Set<string> | null {
  switch (cond.op) {
    case 'eq':
      return cond.field === field ? new Set([cond.value]) : null;
    case 'in':
      return cond.field === field ? new Set(cond.values) : null;
    case 'and': {
      let acc: Set<string> | null = null;
      for (const c of cond.of) {
        const s = requiredValues(c, field);
        if (!s) continue;
        if (!acc) acc = s;
        else for (const x of acc) if (!s.has(x)) acc.delete(x);
      }
      return acc;
    }
    case 'or': {
      const acc = new Set<string>();
      for (const c of cond.of) {
        const s = requiredValues(c, field);
        if (!s) return null;
        for (const x of s) acc.add(x);
      }
      return acc;
    }
    case 'const':
      return cond.value ? null : new Set();
    default:
      return null;
  }
}

interface Pack {
  readonly rules: readonly CompiledRule[];
  /** Candidate rules per stage, then resource, memoized; in table order. Two levels: no key string built per row. */
  readonly candidates: Map<string, Map<string, readonly CompiledRule[]>>;
  size: number;
}

function candidatesFor(pack: Pack, stageValue: string, resourceValue: string): readonly CompiledRule[] {
  const stage = mapKey(stageValue);
  const resource = mapKey(resourceValue);
  let byResource = pack.candidates.get(stage);
  let list = byResource?.get(resource);
  if (!list) {
    list = pack.rules.filter((r) => (!r.stages || r.stages.has(stageValue)) && (!r.resources || r.resources.has(resourceValue)));
    // Bounded: stage and resource come from the data.
    if (pack.size < 4096) {
      if (!byResource) pack.candidates.set(stage, (byResource = new Map()));
      byResource.set(resource, list);
      pack.size++;
    }
  }
  return list;
}

const cache = new WeakMap<Policy, Pack>();

export function compileK8sAuditPack(policy: Policy): readonly CompiledRule[] {
  return compilePack(policy).rules;
}

function compilePack(policy: Policy): Pack {
  const hit = cache.get(policy);
  if (hit) return hit;
  const out: CompiledRule[] = [];
  for (const def of AUDIT_RULES) {
    const priority = rulePriority(policy, def.id, def.priority);
    if (priority === null) continue;
    // Keyed by rule id, as the settings (overlayPolicy maps names to ids).
    const exc = exceptionCond(policy.exceptions[def.id] ?? []);
    const cond = exc ? and(def.when(policy), not(exc)) : def.when(policy);
    out.push({
      def, priority, test: compile<AksAuditRow>(cond, FIELD_INDEX), output: parseTemplate(def.output, FIELD_INDEX),
      stages: requiredValues(cond, 'ka.stage'), resources: requiredValues(cond, 'ka.target.resource'),
    });
  }
  const pack: Pack = { rules: out, candidates: new Map(), size: 0 };
  cache.set(policy, pack);
  return pack;
}

const str = (v: string | undefined | readonly string[]): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * What a rule's output line cannot tell of a request that changed nothing: refused (Azure
 * Policy, RBAC, a webhook) or a dry run. Falco's rules fire on both, and so do these; the
 * note keeps them from reading as a privileged pod that exists.
 */
function outcomeNote(row: AksAuditRow, reason: string | undefined): string {
  const code = row.ResponseCode;
  if (code !== null && code >= 400) return ` [not done: ${code}${reason ? ` ${reason}` : ''}]`;
  // The query read as the apiserver reads it (`?x=?dryRun=All` is a parameter x, no dry run).
  return uriParam(row.RequestUri, 'dryRun').includes('All') ? ' [dry run: nothing persisted]' : '';
}

export function runK8sAuditRules(rows: readonly AksAuditRow[], policy: Policy, out: Detection[]): void {
  const pack = compilePack(policy);
  if (pack.rules.length === 0) return;
  const ctx = new RowContext<AksAuditRow>(FIELDS.map((f) => f.get));
  const I = FIELD_INDEX;
  const [iNs, iUser, iRes, iName, iResp, iVerb, iReason] = (['ka.target.namespace', 'ka.user.name', 'ka.target.resource', 'ka.target.name', 'ka.resp.name', 'ka.verb', 'ka.response.reason'] as const).map((n) => I.get(n)!) as [number, number, number, number, number, number, number];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    // Falco's plugin extracts no field from an event without auditID: no rule can match it.
    if (!row.AuditId) continue;
    const rules = candidatesFor(pack, row.Stage, row.Resource);
    if (rules.length === 0) continue;
    ctx.reset(row);
    for (let k = 0; k < rules.length; k++) {
      const rule = rules[k]!;
      if (!rule.test(ctx)) continue;
      out.push(
        makeDetection({
          time: row.TimeGenerated,
          // The auditID may be a client's own Audit-ID header: the request's identity completes it
          // (what dedupeAudit tells events apart by), so two requests never share an id.
          key: [row.AuditId, ...auditIdentity(row)],
          ruleId: rule.def.id,
          rule: rule.def.name,
          priority: rule.priority,
          source: 'k8s-audit',
          cluster: row.Cluster,
          namespace: str(ctx.get(iNs)),
          user: str(ctx.get(iUser)),
          resource: str(ctx.get(iRes)),
          name: str(ctx.get(iName)) ?? str(ctx.get(iResp)),
          verb: str(ctx.get(iVerb)),
          output: `${rule.def.name}: ${render(rule.output, ctx)}${outcomeNote(row, str(ctx.get(iReason)))}`,
          evidence: evidence(rule.output, ctx, EVIDENCE_FIELDS),
          auditIds: [row.AuditId],
          tags: rule.def.tags,
        }),
      );
    }
  }
}
