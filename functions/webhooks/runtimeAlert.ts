// Shared shape for runtime-security alerts (Falco, KubeArmor) landing as Detections rows, so
// they can be filtered by Priority / Operation / Action next to the native k8s-audit rules.
import { detectionId } from '../detect/detection.js';
import { safeStringify } from '../envelope/json.js';
import type { Detection } from '../contracts.js';

/** Falco priority names, most severe first; Detections.Priority carries them upper-cased. */
export const PRIORITIES = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFORMATIONAL', 'DEBUG'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const OPERATIONS = ['Process', 'File', 'Network', 'Capabilities', 'Syscall'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const ACTIONS = ['Allow', 'Audit', 'Block'] as const;
export type Action = (typeof ACTIONS)[number];

/** Falco accepts aliases (INFO, WARN, ...); anything unknown is kept out by the schema. */
const PRIORITY_ALIASES: Record<string, Priority> = {
  emergency: 'EMERGENCY', alert: 'ALERT', critical: 'CRITICAL', error: 'ERROR', warning: 'WARNING', warn: 'WARNING',
  notice: 'NOTICE', informational: 'INFORMATIONAL', info: 'INFORMATIONAL', debug: 'DEBUG',
};

export function priorityOf(name: string): Priority | null {
  return PRIORITY_ALIASES[name.trim().toLowerCase()] ?? null;
}

export interface RuntimeAlert {
  time: string;
  source: 'falco' | 'kubearmor';
  ruleId: string;
  rule: string;
  priority: Priority;
  cluster: string;
  namespace: string;
  user: string;
  resource: string;
  name: string;
  operation: string;
  action: string;
  output: string;
  evidence: Record<string, unknown>;
  tags: string[];
  /** Fields that identify this alert occurrence (dedupe on redelivery). */
  identity: readonly (string | number)[];
  /**
   * Another cluster the alert named itself, when its sender's secret is bound to `cluster`
   * (cluster.ts alertCluster): the alert keeps `cluster`, and the claim is flagged.
   */
  claimedCluster?: string;
}

/**
 * An alert's fields as one text for its identity, keys in order: two alerts that differ in
 * any field are two rows, and a sender that reorders keys on redelivery still gets one id.
 */
export function sortedJson(fields: Record<string, unknown>): string {
  return safeStringify(Object.keys(fields).sort().map((k) => [k, fields[k]]));
}

export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unnamed';
}

/** The alert's Detections rows: its own, and a cluster-mismatch flag when it claimed another cluster. */
export function alertDetections(a: RuntimeAlert): Detection[] {
  const own = toDetection(a);
  return a.claimedCluster === undefined ? [own] : [own, clusterMismatch(own, a.claimedCluster)];
}

export const CLUSTER_MISMATCH_RULE_ID = 'kubesift:webhook-cluster-mismatch';

/**
 * A sender whose secret is bound to one cluster sent an alert that names another: the
 * secret was copied to (or taken from) the wrong cluster, or someone holding it tries to put
 * events on another cluster's record. Same time, place and who as the alert; its id follows
 * the alert's, so a redelivery flags it once.
 */
function clusterMismatch(alert: Detection, claimed: string): Detection {
  return {
    ...alert,
    DetectionId: detectionId(CLUSTER_MISMATCH_RULE_ID, alert.DetectionId),
    RuleId: CLUSTER_MISMATCH_RULE_ID,
    Rule: 'Webhook alert names another cluster than its secret is bound to',
    Priority: 'WARNING',
    Action: 'Audit',
    Output: `Webhook alert names another cluster than its secret is bound to: ${alert.Source} alert '${alert.Rule}' names cluster ${claimed}, its secret is bound to ${alert.Cluster}`,
    Evidence: { claimedCluster: claimed, boundCluster: alert.Cluster, alertDetectionId: alert.DetectionId, alertRuleId: alert.RuleId },
    Tags: ['webhook', 'credential-misuse'],
  };
}

export function toDetection(a: RuntimeAlert): Detection {
  return {
    TimeGenerated: a.time,
    // The cluster first: one alert (a uuid, or a DaemonSet's identical event) posted for two
    // clusters is two detections, and neither hides the other in DetectionsUnique.
    DetectionId: detectionId(a.ruleId, a.cluster, ...a.identity.map(String)),
    RuleId: a.ruleId,
    Rule: a.rule,
    Priority: a.priority,
    Source: a.source,
    Cluster: a.cluster,
    Namespace: a.namespace,
    User: a.user,
    Resource: a.resource,
    Name: a.name,
    Verb: '',
    Operation: a.operation,
    Action: a.action,
    Output: a.output,
    Evidence: a.evidence,
    AuditIds: [],
    Tags: a.tags,
  };
}
