// Falcosidekick webhook output: one JSON alert per POST
// {uuid?, output, priority, rule, time, output_fields, source, tags, hostname}.
// Falco's own JSON leaves out `output` and `output_fields` when json_include_output_property /
// json_include_output_fields_property are off, and Go relays write a nil map or slice as null.
import { z } from 'zod';
import { columnText } from '../envelope/json.js';
import { canonicalTime } from '../normalize/time.js';
import { priorityOf, slug, sortedJson, type Operation, type RuntimeAlert } from './runtimeAlert.js';
import { alertCluster } from './cluster.js';

export const falcoAlertSchema = z.looseObject({
  uuid: z.string().optional(),
  output: z.string().optional(),
  /** Falco 0.36+: the output without its time and priority prefix (json_include_message_property). */
  message: z.string().optional(),
  priority: z.string().refine((p) => priorityOf(p) !== null, 'must be a Falco priority (Emergency … Debug)'),
  rule: z.string().min(1),
  time: z.string().refine((t) => canonicalTime(t) !== null, 'must be an RFC 3339 timestamp'),
  output_fields: z.record(z.string(), z.unknown()).nullish().transform((f) => f ?? {}),
  source: z.string().default('syscall'),
  tags: z.array(z.string()).nullish().transform((t) => t ?? []),
  hostname: z.string().nullish().transform((h) => h ?? ''),
});
export type FalcoAlert = z.output<typeof falcoAlertSchema>;

/**
 * Which operation an alert is about, first match wins: Falco tags first (rules are tagged
 * network/filesystem/process), then the fields the rule printed. Capabilities before
 * Process because capability rules also print proc.* fields.
 */
const OPERATION_HINTS: readonly { op: Operation; tags: readonly string[]; fieldPrefixes: readonly string[] }[] = [
  { op: 'Capabilities', tags: ['capabilities'], fieldPrefixes: ['evt.arg.cap', 'thread.cap'] },
  { op: 'Network', tags: ['network'], fieldPrefixes: ['fd.sip', 'fd.rip', 'fd.cip', 'fd.sport', 'fd.rport', 'fd.l4proto', 'fd.net'] },
  { op: 'File', tags: ['filesystem', 'file'], fieldPrefixes: ['fd.name', 'fd.filename', 'fd.directory', 'evt.arg.path', 'evt.arg.filename'] },
  { op: 'Process', tags: ['process', 'shell'], fieldPrefixes: ['proc.', 'evt.arg.exe'] },
];

export function falcoOperation(a: FalcoAlert): Operation | '' {
  const tags = new Set(a.tags.map((t) => t.toLowerCase()));
  for (const h of OPERATION_HINTS) if (h.tags.some((t) => tags.has(t))) return h.op;
  const fields = Object.keys(a.output_fields);
  for (const h of OPERATION_HINTS) if (fields.some((f) => h.fieldPrefixes.some((p) => f.startsWith(p)))) return h.op;
  return '';
}

// An output field's value as column text: Falco prints strings, numbers and booleans, and a
// sender may put anything there (an object's JSON text, never a throw). `<NA>` is Falco's
// text for a field it could not read (older releases put it in output_fields too): no value.
const str = (v: unknown): string => {
  const s = columnText(v);
  return s === '<NA>' ? '' : s;
};

export function falcoAlert(a: FalcoAlert, cluster: string, pinned = false): RuntimeAlert {
  const f = a.output_fields;
  const output = a.output ?? a.message ?? a.rule;
  const pod = str(f['k8s.pod.name']);
  const k8sAudit = a.source === 'k8s_audit' || a.source === 'k8saudit';
  const { cluster: own, claimed } = alertCluster(str(f['k8s.cluster.name']), cluster, pinned);
  return {
    time: canonicalTime(a.time) ?? a.time,
    source: 'falco',
    ruleId: `falco:${slug(a.rule)}`,
    rule: a.rule,
    priority: priorityOf(a.priority) ?? 'INFORMATIONAL',
    cluster: own,
    ...(claimed ? { claimedCluster: claimed } : {}),
    // The first field with a value: `<NA>` (Falco could not read it) gives way like an absent one.
    namespace: str(f['k8s.ns.name']) || str(f['ka.target.namespace']),
    user: str(f['ka.user.name']) || str(f['user.name']),
    resource: k8sAudit ? str(f['ka.target.resource']) : pod ? 'pods' : '',
    name: k8sAudit ? str(f['ka.target.name']) : pod,
    operation: falcoOperation(a),
    // Falco observes; it never blocks. A response engine acting on the alert is out of band.
    action: 'Audit',
    output,
    evidence: { ...f, hostname: a.hostname, falcoSource: a.source, ...(a.uuid ? { uuid: a.uuid } : {}) },
    tags: a.tags,
    // Without a uuid (relays of Falco's own JSON, custom senders; Falcosidekick adds one) nothing
    // names the occurrence, so every field it carries does.
    identity: a.uuid ? [a.uuid, a.time, a.hostname, output] : [a.time, a.hostname, output, a.rule, a.priority, a.source, sortedJson(f)],
  };
}
