// Cluster names on webhook events: ADX compares them case-sensitively, so every source's
// name is lower-cased and checked the same way before it keys a row or a detection.
const CLUSTER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** What a cluster name must be, for messages. */
export const CLUSTER_NAME_RULE = '1-63 of a-z 0-9 . _ -';

/** A configured or typed cluster name, trimmed and lower-cased; null when it is not a valid name. */
export function clusterName(s: string): string | null {
  const name = s.trim().toLowerCase();
  return CLUSTER_NAME.test(name) ? name : null;
}

/**
 * The cluster an alert names itself (Falco's k8s.cluster.name, KubeArmor's ClusterName),
 * lower-cased, when it is a valid name; else the cluster of the request it came in. `pinned`:
 * the sender's secret is bound to the request's cluster, so the alert's own name does not
 * count; when it names another valid cluster, that name is `claimed` (runtimeAlert.ts flags it).
 */
export function alertCluster(own: string, requestCluster: string, pinned = false): { cluster: string; claimed?: string } {
  const named = clusterName(own);
  if (!pinned) return { cluster: named ?? requestCluster };
  return named === null || named === requestCluster ? { cluster: requestCluster } : { cluster: requestCluster, claimed: named };
}
