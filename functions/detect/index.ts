// Detection stage: (rows, policy, now) → Detections. Pure and stateless: the k8s-audit rule
// pack over AksAudit rows, the kube-apiserver pack over AksControlPlane rows, and the
// windowed detectors over both. `now` is accepted for the pipeline contract; detectors use
// the batch's data time, never the wall clock, so replays give the same detections.
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Detection, NormalizedRows } from '../contracts.js';
import { apiserverRuleId, AUTH_BURST_RULE, runApiserverRules } from './apiserverRules.js';
import { k8sAuditRuleId, runK8sAuditRules } from './k8sAuditEngine.js';
import { overlayPolicy, PolicyError, profilePolicy, type Policy as PolicyT } from './policy.js';
import type { ProfileName } from './profiles.js';
import { runWindowDetectors } from './windows.js';

export type Policy = PolicyT;
export { PolicyError } from './policy.js';
export { K8S_AUDIT_RULES } from './k8sAuditRules.js';
export { APISERVER_RULES } from './apiserverRules.js';

/** The id of the pack rule a policy key names (window detectors are overlayPolicy's). */
const ruleId = (key: string): string | undefined => k8sAuditRuleId(key) ?? apiserverRuleId(key);

/**
 * Exceptions compile into the pack that owns the rule, which knows only its own fields; a
 * field of the other pack used to pass here and then throw in every batch's detection, and
 * exceptions on rules that read none (the auth-failure burst, window detectors) were
 * silently ignored. Both are refused now, naming the entry.
 */
function checked(policy: Policy, json: unknown): Policy {
  const bad: string[] = [];
  // The overlay's own entries, under the keys it wrote (the policy holds them under rule ids;
  // the base's were checked when it was made). overlayPolicy has checked their shape.
  const own = (json as { exceptions?: Policy['exceptions'] } | null | undefined)?.exceptions ?? {};
  for (const [key, items] of Object.entries(own)) {
    const api = apiserverRuleId(key);
    const prefix = k8sAuditRuleId(key) ? 'ka.' : api !== undefined && api !== AUTH_BURST_RULE.id ? 'cp.' : null;
    if (prefix === null) {
      bad.push(`exceptions.${key}: this rule takes no exceptions (window detectors and the auth-failure burst are tuned by their own settings)`);
      continue;
    }
    items.forEach((item, i) => {
      for (const field of Object.keys(item)) if (!field.startsWith(prefix)) bad.push(`exceptions.${key}.${i}.${field}: this rule reads ${prefix}* fields only`);
    });
  }
  if (bad.length) throw new PolicyError(bad);
  return policy;
}

export function detect(rows: NormalizedRows, policy: Policy, now: Date): Detection[] {
  void now;
  const out: Detection[] = [];
  runK8sAuditRules(rows.AksAudit, policy, out);
  runApiserverRules(rows.AksControlPlane, policy, out);
  runWindowDetectors(rows, policy, out);
  return out;
}

const defaults: Partial<Record<'aks' | 'falco', Policy>> = {};

/** The built-in profile (shared, frozen-by-convention object: compiled packs cache on it). */
export function defaultPolicy(profile: 'aks' | 'falco'): Policy {
  return (defaults[profile] ??= profilePolicy(profile));
}

/** The `profile` a policy document names (undefined when it names none or is not an object). */
const profileOf = (json: unknown): unknown => (json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as { profile?: unknown }).profile : undefined);

/**
 * Overlay a policy document (parsed JSON) on a profile: `json.profile`, else `profile`, else aks.
 * Throws PolicyError naming every bad field (path: message).
 */
export function loadPolicy(json: unknown, profile?: 'aks' | 'falco'): Policy {
  const named = profileOf(json);
  if (json !== undefined && json !== null && (typeof json !== 'object' || Array.isArray(json)))
    throw new PolicyError(['(root): a policy must be a JSON object']);
  const base = named === 'aks' || named === 'falco' ? named : (profile ?? 'aks');
  return checked(overlayPolicy(profilePolicy(base), json ?? {}, ruleId), json);
}

/** Apply a further overlay on an existing policy (Falco-style override files stack this way). */
export function extendPolicy(base: Policy, json: unknown): Policy {
  // A profile is a base, not an overlay: switching it here would relabel the policy and keep the old lists.
  const named = profileOf(json);
  if (named !== undefined && named !== base.profile)
    throw new PolicyError([`profile: an overlay cannot switch the profile (${base.profile}); start from loadPolicy with the profile you want`]);
  return checked(overlayPolicy(base, json, ruleId), json);
}

/** KUBESIFT_POLICY (inline JSON) wins over KUBESIFT_POLICY_PATH; both overlay KUBESIFT_POLICY_PROFILE. */
export function policyFromConfig(config: Config): Policy {
  const profile = config.KUBESIFT_POLICY_PROFILE;
  let text: string | undefined;
  let origin = '';
  if (config.KUBESIFT_POLICY) {
    text = config.KUBESIFT_POLICY;
    origin = 'KUBESIFT_POLICY';
  } else if (config.KUBESIFT_POLICY_PATH) {
    origin = `KUBESIFT_POLICY_PATH (${config.KUBESIFT_POLICY_PATH})`;
    try {
      text = readFileSync(config.KUBESIFT_POLICY_PATH, 'utf8');
    } catch (e) {
      throw new PolicyError([`${origin}: cannot read: ${(e as Error).message}`]);
    }
  }
  if (text === undefined) return defaultPolicy(profile);
  try {
    return policyFromText(text, profile);
  } catch (e) {
    if (e instanceof PolicyError) throw new PolicyError(e.issues.map((i) => `${origin}: ${i}`));
    throw e;
  }
}

/** A policy overlay's JSON text (a BOM is skipped) over `profile`; PolicyError names what is wrong. */
export function policyFromText(text: string, profile: ProfileName): Policy {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new PolicyError([`not valid JSON: ${(e as Error).message}`]);
  }
  return loadPolicy(json, profile);
}
