// Cluster names on webhook events: ADX compares them case-sensitively, so every source's
// name is lower-cased and checked the same way before it keys a row or a detection.
export const CLUSTER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * The cluster an alert names itself (Falco's k8s.cluster.name, KubeArmor's ClusterName),
 * lower-cased, when it is a valid name; else the cluster of the request it came in.
 */
export function alertCluster(own: string, requestCluster: string): string {
  const name = own.trim().toLowerCase();
  return CLUSTER_NAME.test(name) ? name : requestCluster;
}
