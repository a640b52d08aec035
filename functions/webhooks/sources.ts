// One row per webhook sender: where its secret lives, how its body is validated and split
// into events, and (runtime alerts) how an event becomes a Detections row. Adding a sender
// is adding a row; the HTTP trigger and the hub consumer only walk this table.
import { z } from 'zod';
import { webhookSecretProblem, type Config } from '../config.js';
import type { JsonStep } from '../envelope/json.js';
import { eventListSchema, auditEventSchema } from './k8sAudit.js';
import { falcoAlert, falcoAlertSchema } from './falco.js';
import { kubearmorAlert, kubearmorEventSchema } from './kubearmor.js';
import type { RuntimeAlert } from './runtimeAlert.js';

export type SourceName = 'k8s-audit' | 'falco' | 'kubearmor';

interface SourceBase {
  name: SourceName;
  secretSetting: keyof Config & `KUBESIFT_WEBHOOK_SECRET_${string}`;
  /** The accepted request body; its parse result lists the events to forward. */
  body: z.ZodType<unknown[]>;
  /**
   * Where that list sits in an accepted body: the array at this path, or (null) the body is
   * the one event. The hub gets each event's own bytes from there (jsonElements).
   */
  eventsAt(body: unknown): JsonStep[] | null;
}
/** Audit events go through the same normalize → detect path as AKS kube-audit records. */
export interface AuditSource extends SourceBase {
  kind: 'audit';
}
/** Runtime alerts are already detections: validated again on the hub side, then mapped. */
export interface AlertSource<T> extends SourceBase {
  kind: 'runtime-alert';
  event: z.ZodType<T>;
  toAlert(event: T, cluster: string): RuntimeAlert;
}
export type WebhookSource = AuditSource | AlertSource<never>;

/**
 * The schema for the shape the body has (`isFirst` picks), not a union: a union's failure
 * reports whichever branch it likes, and a bare audit Event without its auditID was told
 * `kind: expected "EventList"`. The chosen schema's issues go out as they are.
 */
function byShape<T>(isFirst: (body: unknown) => boolean, first: z.ZodType<T>, second: z.ZodType<T>): z.ZodType<T> {
  return z.unknown().transform((body, ctx) => {
    const r = (isFirst(body) ? first : second).safeParse(body);
    if (r.success) return r.data;
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: i.path, message: i.message, input: body });
    return z.NEVER;
  }) as unknown as z.ZodType<T>;
}

/** A sender may post one alert or an array of them (relays that batch). */
const oneOrMany = <T extends z.ZodType>(item: T): z.ZodType<z.output<T>[]> =>
  byShape(Array.isArray, z.array(item).min(1), item.transform((x) => [x])) as z.ZodType<z.output<T>[]>;
/** Where oneOrMany's events sit: the array itself, or (null) the body is the one alert. */
const arrayOrOne = (body: unknown): JsonStep[] | null => (Array.isArray(body) ? [] : null);

/** An EventList by its kind, or by an items array where the kind is neither list nor Event. */
function isEventList(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  const { kind, items } = body as { kind?: unknown; items?: unknown };
  return kind === 'EventList' || (kind !== 'Event' && Array.isArray(items));
}

function alertSource<T>(s: AlertSource<T>): WebhookSource {
  return s as unknown as WebhookSource;
}

export const WEBHOOK_SOURCES: Readonly<Record<SourceName, WebhookSource>> = {
  'k8s-audit': {
    name: 'k8s-audit',
    kind: 'audit',
    secretSetting: 'KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT',
    // The API server always sends an EventList; a bare Event is accepted for hand-driven tests.
    body: byShape(isEventList, eventListSchema.transform((l) => l.items as unknown[]), auditEventSchema.transform((e) => [e as unknown])),
    eventsAt: (body) => (isEventList(body) ? ['items'] : null),
  },
  falco: alertSource({
    name: 'falco',
    kind: 'runtime-alert',
    secretSetting: 'KUBESIFT_WEBHOOK_SECRET_FALCO',
    body: oneOrMany(falcoAlertSchema),
    eventsAt: arrayOrOne,
    event: falcoAlertSchema,
    toAlert: falcoAlert,
  }),
  kubearmor: alertSource({
    name: 'kubearmor',
    kind: 'runtime-alert',
    secretSetting: 'KUBESIFT_WEBHOOK_SECRET_KUBEARMOR',
    body: oneOrMany(kubearmorEventSchema),
    eventsAt: arrayOrOne,
    event: kubearmorEventSchema,
    toAlert: kubearmorAlert,
  }),
};

/** Every webhook secret problem of a loaded configuration, one per source (sift config --check). */
export function webhookSecretProblems(c: Config): string[] {
  return Object.values(WEBHOOK_SOURCES).flatMap((s) => webhookSecretProblem(s.secretSetting, c[s.secretSetting]) ?? []);
}

export function webhookSource(name: string): WebhookSource | undefined {
  return Object.hasOwn(WEBHOOK_SOURCES, name) ? WEBHOOK_SOURCES[name as SourceName] : undefined;
}

/** First schema issue as "path: message", naming the field for the 400 response. */
export function describeIssue(error: z.ZodError): string {
  const issue = firstIssue(error.issues, []);
  if (!issue) return 'body: invalid';
  return `${issue.path.length ? issue.path.map(String).join('.') : 'body'}: ${issue.message}`;
}

/**
 * zod's first issue (its order is the schema's field order: `kind` before `items`). A union
 * reports each branch's issues; the branch whose first issue lies deepest got furthest, so it
 * is most likely the shape the sender meant.
 */
function firstIssue(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): { path: PropertyKey[]; message: string } | undefined {
  const i = issues[0];
  if (!i) return undefined;
  const path = [...prefix, ...i.path];
  let best: { path: PropertyKey[]; message: string } | undefined;
  if (i.code === 'invalid_union')
    for (const branch of i.errors) {
      const b = firstIssue(branch, path);
      if (b && (!best || b.path.length > best.path.length)) best = b;
    }
  return best ?? { path, message: i.message };
}
