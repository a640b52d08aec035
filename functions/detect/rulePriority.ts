// A rule's setting as every pack reads it. Its own module: policy.ts imports the apiserver
// pack's fields, so the packs importing a value from policy.ts would be an import cycle.
import type { Policy, PriorityName } from './policy.js';

/**
 * The priority a rule reports at, or null when the policy turns it off. Settings are stored
 * under the rule's id (overlayPolicy maps names to ids); every pack reads them here.
 */
export function rulePriority(p: Policy, id: string, fallback: PriorityName): PriorityName | null {
  const s = p.rules[id];
  return s?.enabled === false ? null : (s?.priority ?? fallback);
}
