// Detection policy: every list and switch a user tunes, validated with zod. A policy file is
// an *overlay* on a base profile (falco | aks): lists are replaced by an array or edited
// with {"append": [...], "remove": [...]}; objects merge key by key.
import { z } from 'zod';
import { CP_FIELDS } from './apiserverRules.js';
import { FIELD_NAMES } from './fields.js';
import { parseNetwork } from './networks.js';
import { PROFILES, type ProfileName } from './profiles.js';

export const PRIORITIES = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFORMATIONAL', 'INFO', 'DEBUG'] as const;
export const priorityName = z.enum(PRIORITIES);
export type PriorityName = z.infer<typeof priorityName>;

const list = z.array(z.string().min(1));
/**
 * The stages kube-apiserver writes (audit.k8s.io Stage). A misspelt one matched no event, and
 * every rule that looks at stages went quiet without a word.
 */
export const AUDIT_STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
/** Audit events carry verbs in lower case ('*' in RBAC rules): 'CREATE' matched nothing. */
const verbList = z.array(z.string().regex(/^(\*|[a-z]+)$/, 'a Kubernetes verb: lower case (create, patch, …) or *'));
/** Addresses or CIDR networks (detect/networks.ts): anything else would match nothing. */
const ipList = z.array(z.string().refine((s) => parseNetwork(s) !== null, 'an IP address or CIDR network (10.224.0.0/16, fd00::/8; no port)'));
const FIELD_SET: ReadonlySet<string> = new Set<string>([...FIELD_NAMES, ...CP_FIELDS.map((f) => f.name)]);

/** Lists named after the Falco lists/macros they replace (see docs/detections.md). */
export const listsSchema = z
  .object({
    allowedUsers: list.describe('allowed_k8s_users + eks_allowed_k8s_users: users never flagged by Disallowed K8s User'),
    allowedNamespaces: list.describe('allowed_namespaces: namespaces Create Disallowed Namespace accepts'),
    fullAdminUsers: list.describe('full_admin_k8s_users: names treated as full administrators'),
    allowedPodImages: list.describe('image repositories accepted by Create Disallowed Pod (when switches.restrictPodImages)'),
    privilegedImages: list.describe('k8s_audit_privileged_images: repositories trusted to run privileged'),
    sensitiveMountImages: list.describe('k8s_audit_sensitive_mount_images: repositories trusted to mount sensitive host paths'),
    hostNetworkImages: list.describe('k8s_audit_hostnetwork_images'),
    hostPidImages: list.describe('k8s_audit_hostpid_images'),
    hostIpcImages: list.describe('k8s_audit_hostipc_images'),
    kubeNamespaceImages: list.describe('allowed_kube_namespace_image_list + user list: repositories allowed in kube namespaces'),
    kubeNamespaces: list.describe('namespaces watched by Pod/Service Account Created in Kube Namespace'),
    knownServiceAccounts: list.describe('known_sa_list + user_known_sa_list'),
    allowedNodes: list.describe('allowed_k8s_nodes (only used when switches.restrictNodes)'),
    platformUsers: list.describe('users whose create/delete housekeeping the activity rules ignore (the platform itself, e.g. aksService)'),
    sensitiveHostPaths: list.describe('host paths that make a pod a Sensitive Mount Pod (exact match on the path resolved lexically: /etc/ is /etc)'),
    credentialKeywords: list.describe('substrings of ConfigMap data that look like private credentials'),
    systemRoleExceptions: list.describe('system: ClusterRoles whose modification is expected'),
    writableVerbs: verbList.describe('verbs that make a Role "with write privileges"'),
    systemImages: list.describe('(KubeSift) image repositories the image lists trust only for pods in systemNamespaces: platform add-ons, whose public images anyone can run elsewhere'),
    systemNamespaces: list.describe('(KubeSift) namespaces where systemImages are trusted'),
    tokenRequesters: list.describe('(KubeSift) users besides nodes (system:node:*) expected to request tokens for kube namespace service accounts'),
    impersonators: list.describe('(KubeSift) users expected to make requests as another user (kubectl --as, the Impersonate-User header): a proxy or admin tooling that impersonates by design'),
    secretListers: list.describe('(KubeSift) users expected to list or watch the secrets of every namespace (controllers that manage secrets: add cert-manager, ingress controllers, GitOps agents by their service account name)'),
  })
  .strict();
export type PolicyLists = z.infer<typeof listsSchema>;

export const switchesSchema = z
  .object({
    activityRules: z.boolean().describe('consider_activity_events: the INFO create/delete rules, secret get rules, ingress without TLS'),
    allEvents: z.boolean().describe('consider_all_events: enables All K8s Audit Events (DEBUG, every event)'),
    restrictPodImages: z.boolean().describe('allowed_k8s_containers: when true, Create Disallowed Pod fires for images outside lists.allowedPodImages'),
    fullAdminRule: z.boolean().describe('enables Full K8s Administrative Access (Falco ships it disabled)'),
    restrictNodes: z.boolean().describe('enables the Untrusted Node rules against lists.allowedNodes (Falco ships them disabled)'),
    imageListsCoverInitContainers: z
      .boolean()
      .describe('(KubeSift) the trusted-image lists of the pod rules must hold the image of every container, init and ephemeral ones too, not only spec.containers (Falco)'),
    objectRulesSkipSubresources: z
      .boolean()
      .describe('(KubeSift) rules about creating or deleting an object (service accounts, services, namespaces, nodes, the activity rules) ignore requests to its subresources: a TokenRequest (serviceaccounts/token) or a proxy call (services/proxy) creates nothing. Falco matches them'),
    kubesiftRules: z.boolean().describe('(KubeSift) run the audit rules KubeSift adds to Falco\'s pack (kubesift_* ids: token requests for kube namespace service accounts, pod specs and requests cut before they could be inspected, privileged ephemeral containers, secrets listed across all namespaces, requests made while impersonating)'),
  })
  .strict();

const ruleSetting = z.object({ enabled: z.boolean().optional(), priority: priorityName.optional() }).strict();

/** An exception item: the rule is suppressed when every named field has a value in its list. */
const exceptionItem = z.record(z.string(), list).superRefine((o, ctx) => {
  if (Object.keys(o).length === 0) ctx.addIssue({ code: 'custom', message: 'an exception needs at least one field' });
  for (const k of Object.keys(o))
    if (!FIELD_SET.has(k)) ctx.addIssue({ code: 'custom', path: [k], message: `unknown field (known: ka.* and cp.* fields, see docs/detections.md)` });
});

export const apiserverSchema = z
  .object({
    authFailureThreshold: z.number().int().positive().describe('401/403 responses from one source IP that make a burst'),
    authFailureWindowSeconds: z.number().positive().describe('window of the 401/403 burst'),
    secretReaderAgents: list.describe('user-agent prefixes expected to read secrets (kubelet, controllers, AKS add-ons)'),
    trustedSourceIps: ipList.describe('source addresses or CIDR networks never reported by the apiserver rules (e.g. loopback health probes, the node subnet)'),
  })
  .strict();

/** Baseline bins a binned detector may look back over (each scored bin builds that many counts). */
export const MAX_BASELINE_BINS = 10_000;

const windowBase = {
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'letters, digits and _ (it becomes a KQL function name)'),
  name: z.string().min(1).optional(),
  table: z.enum(['AksControlPlane', 'AksAudit']).default('AksControlPlane'),
  service: z.string().min(1).optional().describe('Category to watch (kube-apiserver, kube-scheduler, ...); all when absent'),
  priority: priorityName.default('NOTICE'),
  tags: list.default([]),
};

export const windowDetectorSchema = z.discriminatedUnion('kind', [
  z.object({ ...windowBase, kind: z.literal('keyword'), keyword: z.string().min(1), caseSensitive: z.boolean().default(false), windowSeconds: z.number().positive(), threshold: z.number().int().positive() }).strict(),
  z.object({ ...windowBase, kind: z.literal('repeat'), windowSeconds: z.number().positive(), threshold: z.number().int().min(2) }).strict(),
  z.object({ ...windowBase, kind: z.literal('rate'), binSeconds: z.number().positive(), baselineBins: z.number().int().positive().max(MAX_BASELINE_BINS), factor: z.number().positive(), minCount: z.number().int().positive() }).strict(),
  z.object({ ...windowBase, kind: z.literal('inactivity'), maxSilenceSeconds: z.number().positive() }).strict(),
  z.object({ ...windowBase, kind: z.literal('zscore'), binSeconds: z.number().positive(), minBins: z.number().int().min(2).max(MAX_BASELINE_BINS), threshold: z.number().positive(), minCount: z.number().int().min(0).default(1),
    // A count's own noise: a Poisson count of mean m varies by √m, so a baseline steadier than
    // that (lease renewals are nearly periodic) made a steady stream's +1 a z of 4 or ∞.
    poissonFloor: z.boolean().default(true).describe('std is at least √mean (the noise of a count); false: the plain population std') }).strict(),
]);
export type WindowDetector = z.output<typeof windowDetectorSchema>;

export const policySchema = z
  .object({
    profile: z.enum(['aks', 'falco']),
    auditStages: z.array(z.enum(AUDIT_STAGES)).min(1, 'at least one stage: with none, no rule that looks at stages can fire').describe('k8s_audit_stages: stages most rules look at'),
    lists: listsSchema,
    switches: switchesSchema,
    rules: z.record(z.string(), ruleSetting).describe('per rule (id or Falco name): enabled, priority'),
    exceptions: z.record(z.string(), z.array(exceptionItem)).describe('per rule (id or name): items that suppress it'),
    apiserver: apiserverSchema,
    windows: z.array(windowDetectorSchema),
  })
  .strict();

// ---- overlay (what a policy file contains) ----

const listOverlay = z.union([list, z.object({ append: list.optional(), remove: list.optional() }).strict()]);
type ListOverlay = z.infer<typeof listOverlay>;

const listsOverlay = z.object(Object.fromEntries(Object.keys(listsSchema.shape).map((k) => [k, listOverlay.optional()]))).strict();

export const overlaySchema = z
  .object({
    profile: z.enum(['aks', 'falco']).optional(),
    description: z.string().optional(),
    auditStages: listOverlay.optional(),
    lists: listsOverlay.optional(),
    switches: switchesSchema.partial().optional(),
    rules: z.record(z.string(), ruleSetting).optional(),
    exceptions: z.record(z.string(), z.array(exceptionItem)).optional(),
    apiserver: apiserverSchema.partial().extend({ secretReaderAgents: listOverlay.optional(), trustedSourceIps: listOverlay.optional() }).optional(),
    windows: z
      .union([z.array(z.unknown()), z.object({ append: z.array(z.unknown()) }).strict()], {
        error: 'an array (replaces the profile\'s detectors) or {"append": [...]}; to turn one off: "rules": {"window.<id>": {"enabled": false}}',
      })
      .optional(),
  })
  .strict();
export type PolicyOverlay = z.input<typeof overlaySchema>;

export class PolicyError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid detection policy:\n  - ${issues.join('\n  - ')}`);
    this.name = 'PolicyError';
  }
}

function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): string[] {
  return error.issues.map((i) => `${[...prefix, ...i.path.map(String)].join('.') || '(root)'}: ${i.message}`);
}

function applyList(base: readonly string[], o: ListOverlay | undefined): string[] {
  if (o === undefined) return [...base];
  if (Array.isArray(o)) return [...o];
  const removed = new Set(o.remove ?? []);
  const out = base.filter((x) => !removed.has(x));
  for (const x of o.append ?? []) if (!out.includes(x)) out.push(x);
  return out;
}

function parseWindows(items: readonly unknown[], at: number): WindowDetector[] {
  return items.map((item, i) => {
    const r = windowDetectorSchema.safeParse(item);
    if (!r.success) throw new PolicyError(issuesOf(r.error, ['windows', at + i]));
    return r.data;
  });
}

/**
 * Apply a (validated) overlay to a full policy; returns a new policy object. `ruleId` gives the id of the pack rule a key names (its id or its exact name). Rule settings
 * and exceptions are stored under ids, so overlays that address one rule by either key stack:
 * a later `{enabled: true}` by name undoes an earlier `{enabled: false}` by id.
 */
export function overlayPolicy(base: Policy, json: unknown, ruleId: (key: string) => string | undefined): Policy {
  const parsed = overlaySchema.safeParse(json ?? {});
  if (!parsed.success) throw new PolicyError(issuesOf(parsed.error));
  const o = parsed.data;

  const lists = Object.fromEntries(
    (Object.keys(base.lists) as (keyof PolicyLists)[]).map((k) => [k, applyList(base.lists[k], o.lists?.[k] as ListOverlay | undefined)]),
  ) as PolicyLists;
  const windows = o.windows === undefined
    ? base.windows
    : Array.isArray(o.windows)
      ? parseWindows(o.windows, 0)
      : [...base.windows, ...parseWindows(o.windows.append, base.windows.length)];
  const ids = new Set<string>();
  for (const w of windows) {
    if (ids.has(w.id)) throw new PolicyError([`windows: duplicate detector id ${w.id}`]);
    ids.add(w.id);
  }
  // Window detectors are addressed as `window.<id>`, known only now that the windows are merged.
  const idOf = (key: string): string | undefined => (key.startsWith('window.') ? (ids.has(key.slice(7)) ? key : undefined) : ruleId(key));
  const bad: string[] = [];
  const byId = <T>(section: 'rules' | 'exceptions', table: Record<string, T> | undefined): [string, T][] =>
    Object.entries(table ?? {}).flatMap(([key, v]): [string, T][] => {
      const id = idOf(key);
      if (id !== undefined) return [[id, v]];
      bad.push(`${section}.${key}: ${key.startsWith('window.') ? `no window detector ${key.slice(7)} (known: ${[...ids].join(', ') || 'none'})` : 'unknown rule (use a rule id or its exact name)'}`);
      return [];
    });
  const ruleSettings = byId('rules', o.rules);
  const exceptionItems = byId('exceptions', o.exceptions);
  if (bad.length) throw new PolicyError(bad);
  const exceptions: Policy['exceptions'] = { ...base.exceptions };
  for (const [k, items] of exceptionItems) exceptions[k] = [...(exceptions[k] ?? []), ...items];
  const rules: Policy['rules'] = { ...base.rules };
  // Field by field: a later {priority} must not undo an earlier {enabled: false}.
  for (const [k, setting] of ruleSettings) rules[k] = { ...rules[k], ...setting };
  const api = o.apiserver ?? {};
  const policy = {
    profile: o.profile ?? base.profile,
    auditStages: applyList(base.auditStages, o.auditStages),
    lists,
    switches: { ...base.switches, ...o.switches },
    rules,
    exceptions,
    apiserver: {
      ...base.apiserver,
      ...(api.authFailureThreshold !== undefined && { authFailureThreshold: api.authFailureThreshold }),
      ...(api.authFailureWindowSeconds !== undefined && { authFailureWindowSeconds: api.authFailureWindowSeconds }),
      secretReaderAgents: applyList(base.apiserver.secretReaderAgents, api.secretReaderAgents),
      trustedSourceIps: applyList(base.apiserver.trustedSourceIps, api.trustedSourceIps),
    },
    windows,
  };
  // Final shape check: the merged policy is always a valid full policy.
  const final = policySchema.safeParse(policy);
  if (!final.success) throw new PolicyError(issuesOf(final.error));
  return final.data;
}

export type Policy = z.output<typeof policySchema>;

/** A fresh copy of a built-in profile. */
export function profilePolicy(profile: ProfileName): Policy {
  return policySchema.parse(structuredClone(PROFILES[profile]));
}
