// Items on the AKS hub that are Azure Monitor output of something else: a diagnostic setting
// that also sends metrics, or another resource's diagnostic setting pointed at this hub. They
// are still dead letters (every item ends somewhere), but under a reason that says what to
// change, instead of a schema error about a field they were never meant to have. Only the
// failure paths call this.
import { bothLists } from './shapes.js';

/** Resource types whose diagnostic records are AKS input (as envelope/index.ts reads the cluster). */
const CLUSTER_TYPES = new Set(['MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS', 'MICROSOFT.KUBERNETES/CONNECTEDCLUSTERS']);

/** `MICROSOFT.KEYVAULT/VAULTS` from `/subscriptions/…/providers/Microsoft.KeyVault/vaults/kv1`; '' when it names none. */
export function resourceType(resourceId: string): string {
  const upper = resourceId.toUpperCase();
  const at = upper.indexOf('/PROVIDERS/');
  if (at < 0) return '';
  const [namespace, type] = upper.slice(at + 11).split('/');
  return namespace && type ? `${namespace}/${type}` : '';
}

const clip = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 100) : '');

/** Why `o` is not AKS input when it is recognisably something else's output, else undefined. */
export function foreignItem(o: Record<string, unknown>): { reason: string; detail: string } | undefined {
  if (typeof o.metricName === 'string')
    return { reason: 'azure-metric', detail: `an Azure Monitor metric (${clip(o.metricName)}): the diagnostic setting sends metrics to this hub too; KubeSift reads logs, so leave metrics out of it` };
  const type = typeof o.resourceId === 'string' ? resourceType(o.resourceId) : '';
  if (type !== '' && !CLUSTER_TYPES.has(type)) {
    const category = clip(o.category);
    return { reason: 'foreign-record', detail: `a diagnostic record of ${type}${category ? ` (category ${category})` : ''}: another resource's diagnostic setting sends to this hub` };
  }
  return undefined;
}


/**
 * Near misses of a diagnostic record, recognised by their fields: a hint for the dead
 * letter's detail that says what to send instead. First match wins.
 */
const NEAR_MISSES: readonly { test: (o: Record<string, unknown>) => boolean; hint: string }[] = [
  {
    test: (o) => typeof o.log === 'string' && (o.pod !== undefined || o.stream !== undefined || o.containerID !== undefined),
    hint: 'it looks like the properties object of a diagnostic record without the record around it: send whole records ({"records":[{"category":…,"resourceId":…,"properties":{…}}]})',
  },
  {
    test: (o) => typeof o.log_s === 'string' || (typeof o.Category === 'string' && (typeof o._ResourceId === 'string' || typeof o.ResourceId === 'string')),
    hint: 'it looks like a Log Analytics row (AzureDiagnostics or a resource-specific table): KubeSift reads diagnostic records as the diagnostic setting streams them to Event Hubs',
  },
  {
    test: bothLists,
    hint: 'it is both an EventList (items) and {records}: send one or the other, so no item is read from the wrong list',
  },
];

/** '; <hint>' for an object of no known shape that resembles one, else ''. */
export function shapeHint(o: unknown): string {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return '';
  const m = NEAR_MISSES.find((n) => n.test(o as Record<string, unknown>));
  return m ? `; ${m.hint}` : '';
}
