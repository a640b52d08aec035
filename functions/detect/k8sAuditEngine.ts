// Runs the k8s-audit rule pack over AksAudit rows. The pack is compiled once per policy
// object (WeakMap cache): exceptions, enable/disable and priority overrides are folded in
// at compile time, so the per-row loop is only field reads and closure calls.
import type { AksAuditRow, Detection } from '../contracts.js';
import { and, compile, evidence, isIn, not, or, parseTemplate, render, RowContext, type Cond, type Template, type Test } from './conditions.js';
import { makeDetection } from './detection.js';
import { FIELD_INDEX, FIELDS, type FieldName } from './fields.js';
import { K8S_AUDIT_RULES, type RuleDef } from './k8sAuditRules.js';
import type { Policy } from './policy.js';

interface CompiledRule {
  readonly def: RuleDef;
  readonly priority: string;
  readonly test: Test<AksAuditRow>;
  readonly output: Template;
}

const RULE_BY_KEY = new Map<string, RuleDef>();
for (const r of K8S_AUDIT_RULES) {
  RULE_BY_KEY.set(r.id, r);
  RULE_BY_KEY.set(r.name, r);
}

export function isK8sAuditRuleKey(key: string): boolean {
  return RULE_BY_KEY.has(key);
}

/** Setting for a rule from policy.rules / policy.exceptions, keyed by id or by Falco name. */
function settingsFor<T>(table: Record<string, T>, def: RuleDef): T[] {
  const out: T[] = [];
  if (table[def.name] !== undefined) out.push(table[def.name]!);
  if (table[def.id] !== undefined) out.push(table[def.id]!);
  return out;
}

function exceptionCond(items: readonly Record<string, readonly string[]>[]): Cond<FieldName> | undefined {
  if (items.length === 0) return undefined;
  return or(...items.map((item) => and(...Object.entries(item).map(([f, values]) => isIn(f as FieldName, values)))));
}

const TIME_FIELDS: readonly [string, number][] = [
  ['ka.stage', FIELD_INDEX.get('ka.stage')!],
  ['ka.auditid', FIELD_INDEX.get('ka.auditid')!],
];

const cache = new WeakMap<Policy, readonly CompiledRule[]>();

export function compileK8sAuditPack(policy: Policy): readonly CompiledRule[] {
  const hit = cache.get(policy);
  if (hit) return hit;
  const out: CompiledRule[] = [];
  for (const def of K8S_AUDIT_RULES) {
    const settings = settingsFor(policy.rules, def);
    if (settings.some((s) => s.enabled === false)) continue;
    const priority = settings.map((s) => s.priority).find((p) => p !== undefined) ?? def.priority;
    const exc = exceptionCond(settingsFor(policy.exceptions, def).flat());
    const cond = exc ? and(def.when(policy), not(exc)) : def.when(policy);
    out.push({ def, priority, test: compile<AksAuditRow>(cond, FIELD_INDEX), output: parseTemplate(def.output, FIELD_INDEX) });
  }
  cache.set(policy, out);
  return out;
}

const str = (v: string | undefined | readonly string[]): string | undefined => (typeof v === 'string' ? v : undefined);

export function runK8sAuditRules(rows: readonly AksAuditRow[], policy: Policy, out: Detection[]): void {
  const pack = compileK8sAuditPack(policy);
  if (pack.length === 0) return;
  const ctx = new RowContext<AksAuditRow>(FIELDS.map((f) => f.get));
  const I = FIELD_INDEX;
  const [iNs, iUser, iRes, iName, iResp, iVerb] = (['ka.target.namespace', 'ka.user.name', 'ka.target.resource', 'ka.target.name', 'ka.resp.name', 'ka.verb'] as const).map((n) => I.get(n)!) as [number, number, number, number, number, number];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    // Falco's plugin extracts no field from an event without auditID: no rule can match it.
    if (!row.AuditId) continue;
    ctx.reset(row);
    for (let k = 0; k < pack.length; k++) {
      const rule = pack[k]!;
      if (!rule.test(ctx)) continue;
      out.push(
        makeDetection({
          time: row.TimeGenerated,
          key: [row.AuditId, row.Stage],
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
          output: `${rule.def.name}: ${render(rule.output, ctx)}`,
          evidence: evidence(rule.output, ctx, TIME_FIELDS),
          auditIds: [row.AuditId],
          tags: rule.def.tags,
        }),
      );
    }
  }
}
