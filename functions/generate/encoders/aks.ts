// AKS diagnostic records exactly as Azure Monitor diagnostic settings stream them to Event
// Hubs (see ../shared/fixtures/aks): one body = {"records":[...]}; each record carries
// category, operationName, properties {pod, log, stream, containerID}, the upper-cased
// resourceId and `time` with 7 fractional digits. Audit categories hold one audit.k8s.io/v1
// Event as JSON text ending in "\n" (stdout); other categories one klog line (stderr).

export const OPERATION_NAME = 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read';

export interface DiagnosticRecord {
  category: string;
  operationName: string;
  properties: { pod: string; log: string; stream: string; containerID: string };
  resourceId: string;
  time: string;
}

/** Azure resource id of a managed cluster, upper-cased as Azure Monitor sends it. */
export function clusterResourceId(subscription: string, resourceGroup: string, cluster: string): string {
  return `/SUBSCRIPTIONS/${subscription}/RESOURCEGROUPS/${resourceGroup}/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/${cluster}`.toUpperCase();
}

export function diagnosticRecord(category: string, resourceId: string, time7: string, pod: string, containerID: string, log: string, stream: 'stdout' | 'stderr'): DiagnosticRecord {
  return { category, operationName: OPERATION_NAME, properties: { pod, log, stream, containerID }, resourceId, time: time7 };
}

/** klog header: `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`; thread id right-aligned to 7 as glog does. */
export function klogLine(severity: 'I' | 'W' | 'E' | 'F', mmddTime: string, thread: number, file: string, line: number, msg: string): string {
  return `${severity}${mmddTime} ${String(thread).padStart(7, ' ')} ${file}:${line}] ${msg}`;
}

/** Go %q-style quoting used by klog structured values (ASCII-safe subset is enough here). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** kube-apiserver 1.23+ structured access line body (after the klog header). */
export function httplogMessage(f: { verb: string; uri: string; latency: string; userAgent: string; auditId: string; srcIp: string; srcPort: number; resp: number }): string {
  return `"HTTP" verb=${goQuote(f.verb)} URI=${goQuote(f.uri)} latency=${goQuote(f.latency)} userAgent=${goQuote(f.userAgent)} audit-ID=${goQuote(f.auditId)} srcIP=${goQuote(`${f.srcIp}:${f.srcPort}`)} apf_pl="global-default" apf_fs="global-default" apf_execution_time=${goQuote(f.latency)} resp=${f.resp}`;
}
