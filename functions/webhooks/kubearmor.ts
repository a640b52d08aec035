// KubeArmor alerts and logs (relay / `karmor logs --json` JSON):
// {Timestamp, UpdatedTime, ClusterName, HostName, NamespaceName, PodName, ContainerName,
//  Type, PolicyName, Severity, Operation, Resource, Data, Action, Result, ...}.
import { z } from 'zod';
import { canonicalTime } from '../normalize/time.js';
import { slug, sortedJson, type Priority, type RuntimeAlert } from './runtimeAlert.js';
import { alertCluster } from './cluster.js';

const text = z.string().default('');

export const kubearmorEventSchema = z
  .looseObject({
    // Epoch seconds up to 9999-12-31T23:59:59Z: past it a Date has no ISO text to land.
    Timestamp: z.number().int().nonnegative().max(253_402_300_799).optional(),
    UpdatedTime: z.string().optional(),
    ClusterName: text,
    HostName: text,
    NamespaceName: text,
    PodName: text,
    ContainerName: text,
    Type: z.string().min(1),
    PolicyName: text,
    // KubeArmor sends Severity as a string ("1".."10"); relays sometimes send a number.
    Severity: z.union([z.string(), z.number()]).optional(),
    Tags: text,
    Message: text,
    Operation: z.string().min(1),
    Resource: text,
    Data: text,
    Action: text,
    Result: text,
    Enforcer: text,
    ProcessName: text,
    Source: text,
    UID: z.number().optional(),
  })
  .refine((e) => e.Timestamp !== undefined || (e.UpdatedTime !== undefined && canonicalTime(e.UpdatedTime) !== null), {
    path: ['UpdatedTime'],
    message: 'an RFC 3339 UpdatedTime or a Timestamp (epoch seconds) is required',
  });
export type KubeArmorEvent = z.output<typeof kubearmorEventSchema>;

/** KubeArmor severity 1 (lowest) … 10 (highest) → Falco priority names, upper bound inclusive. */
const SEVERITY_BANDS: readonly { upTo: number; priority: Priority }[] = [
  { upTo: 2, priority: 'INFORMATIONAL' },
  { upTo: 4, priority: 'NOTICE' },
  { upTo: 6, priority: 'WARNING' },
  { upTo: 8, priority: 'ERROR' },
  { upTo: 10, priority: 'CRITICAL' },
];

export function kubearmorPriority(e: KubeArmorEvent): Priority {
  // Visibility logs (ContainerLog/HostLog) match no policy: keep them, at the lowest priority.
  if (!e.Type.startsWith('Matched')) return 'DEBUG';
  const sev = Number(e.Severity);
  if (!Number.isFinite(sev) || sev <= 0) return e.Action.toLowerCase() === 'block' ? 'WARNING' : 'NOTICE';
  return SEVERITY_BANDS.find((b) => sev <= b.upTo)?.priority ?? 'CRITICAL';
}

/** Allow / Audit / Block; KubeArmor also writes "Audit (Block)" for would-be blocks in audit mode. */
export function kubearmorAction(raw: string): string {
  const a = raw.trim().toLowerCase();
  if (a.startsWith('audit')) return 'Audit';
  if (a === 'block' || a === 'deny') return 'Block';
  if (a === 'allow') return 'Allow';
  return raw;
}

export function kubearmorTime(e: KubeArmorEvent): string {
  const updated = e.UpdatedTime ? canonicalTime(e.UpdatedTime) : null;
  if (updated) return updated;
  return `${new Date((e.Timestamp ?? 0) * 1000).toISOString().slice(0, 19)}.000000Z`;
}

export function kubearmorAlert(e: KubeArmorEvent, cluster: string, pinned = false): RuntimeAlert {
  const policy = e.PolicyName || (e.Type.startsWith('Matched') ? 'unnamed-policy' : `${e.Type}`);
  const where = [e.NamespaceName, e.PodName].filter(Boolean).join('/') || e.HostName;
  const output =
    e.Message ||
    `${e.Operation} ${e.Resource || e.Data} by ${e.ProcessName || e.Source || '?'} in ${where}: ${kubearmorAction(e.Action) || 'n/a'} (${e.Result || 'n/a'})`;
  // KubeArmor's own ClusterName is "default" unless configured; prefer the webhook's cluster then.
  const { cluster: own, claimed } = e.ClusterName && e.ClusterName !== 'default' ? alertCluster(e.ClusterName, cluster, pinned) : { cluster };
  return {
    time: kubearmorTime(e),
    source: 'kubearmor',
    ruleId: `kubearmor:${slug(policy)}`,
    rule: policy,
    priority: kubearmorPriority(e),
    cluster: own,
    ...(claimed ? { claimedCluster: claimed } : {}),
    namespace: e.NamespaceName,
    user: e.UID === undefined ? '' : `uid:${e.UID}`,
    resource: e.PodName ? 'pods' : e.Type.startsWith('MatchedHost') || e.Type === 'HostLog' ? 'nodes' : '',
    name: e.PodName || e.HostName,
    operation: e.Operation,
    action: kubearmorAction(e.Action),
    output,
    evidence: { ...e },
    tags: e.Tags ? e.Tags.split(',').map((t) => t.trim()).filter(Boolean) : [],
    // KubeArmor sends no id: the whole alert names the occurrence. Two containers (or two
    // processes) tripping one policy on one host in the same microsecond are two rows.
    identity: [sortedJson(e)],
  };
}
