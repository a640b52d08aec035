// Building Detection rows: one place for the stable id and the column defaults.
import { createHash } from 'node:crypto';
import type { Detection } from '../contracts.js';
import { mapKey } from '../mapKey.js';

/** Stable id: the same evidence key always gives the same id, so redelivered batches dedupe. */
export function detectionId(ruleId: string, ...key: string[]): string {
  return createHash('sha1').update(ruleId).update('\n').update(key.join('\n')).digest('hex');
}

/**
 * Keys made unique within one detection pass: windowed detectors key a firing by its group
 * and start, and two firings can start in the same millisecond (ten matching lines in one
 * ms make two keyword windows) — one id for both, and landing's dedupe kept only the first.
 * A repeat gets `#2`, `#3`… appended; a first occurrence keeps its key, so ids stay what
 * they were wherever there was no collision.
 */
export function uniqueKeys(): (ruleId: string, key: readonly string[]) => string[] {
  const seen = new Map<string, number>();
  return (ruleId, key) => {
    const k = mapKey(`${ruleId}\n${key.join('\n')}`);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n === 1 ? [...key] : [...key, `#${n}`];
  };
}

export type DetectionSource = 'k8s-audit' | 'apiserver' | 'window';

export interface DetectionParts {
  time: string | null;
  key: readonly string[];
  ruleId: string;
  rule: string;
  priority: string;
  source: DetectionSource;
  cluster: string;
  namespace?: string | undefined;
  user?: string | undefined;
  resource?: string | undefined;
  name?: string | undefined;
  verb?: string | undefined;
  output: string;
  evidence: Record<string, unknown>;
  auditIds: readonly string[];
  tags: readonly string[];
}

export function makeDetection(p: DetectionParts): Detection {
  // Literal in DetectionsColumns order so rows print in table order.
  return {
    TimeGenerated: p.time,
    DetectionId: detectionId(p.ruleId, ...p.key),
    RuleId: p.ruleId,
    Rule: p.rule,
    Priority: p.priority,
    Source: p.source,
    Cluster: p.cluster,
    Namespace: p.namespace ?? '',
    User: p.user ?? '',
    Resource: p.resource ?? '',
    Name: p.name ?? '',
    Verb: p.verb ?? '',
    Operation: '',
    Action: '',
    Output: p.output,
    Evidence: p.evidence,
    AuditIds: [...p.auditIds],
    Tags: [...p.tags],
  };
}
