// Reading audit-event traces (one JSON Event per line: Falco test traces, `kubectl` audit
// log files, webhook captures). Lines that are not Kubernetes audit Events are rejected
// with a reason that names the line and the offending field; they never throw.

export interface TraceRejection {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

export interface AuditTrace {
  readonly events: Record<string, unknown>[];
  readonly rejected: TraceRejection[];
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Why `v` is not an audit.k8s.io Event, or null when it is one. */
export function auditEventProblem(v: unknown): string | null {
  if (!isObj(v)) return `expected a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}`;
  if (v.kind !== undefined && v.kind !== 'Event') return `kind must be "Event", got ${JSON.stringify(v.kind)}`;
  if (v.apiVersion !== undefined && (typeof v.apiVersion !== 'string' || !v.apiVersion.startsWith('audit.k8s.io/')))
    return `apiVersion must be audit.k8s.io/*, got ${JSON.stringify(v.apiVersion)}`;
  for (const key of ['auditID', 'stage', 'verb', 'requestURI'] as const)
    if (typeof v[key] !== 'string' || v[key] === '') return `missing or non-string ${key}`;
  return null;
}

export function parseAuditTrace(text: string): AuditTrace {
  const events: Record<string, unknown>[] = [];
  const rejected: TraceRejection[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      rejected.push({ line: i + 1, reason: `line ${i + 1}: invalid JSON (${(e as Error).message})`, text: line.slice(0, 200) });
      continue;
    }
    const problem = auditEventProblem(value);
    if (problem) rejected.push({ line: i + 1, reason: `line ${i + 1}: not a Kubernetes audit Event: ${problem}`, text: line.slice(0, 200) });
    else events.push(value as Record<string, unknown>);
  }
  return { events, rejected };
}
