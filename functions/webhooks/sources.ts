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
import { missingField } from '../http/issues.js';

export type SourceName = 'k8s-audit' | 'falco' | 'kubearmor';

interface SourceBase {
  name: SourceName;
  secretSetting: keyof Config & `KUBESIFT_WEBHOOK_SECRET_${string}`;
  /**
   * The request body's events and where their array sits (null: the body is the one event;
   * the hub gets each event's own bytes from there, jsonElements), or the schema error of a
   * body that holds no list of events at all.
   */
  events(body: unknown): { ok: true; items: unknown[]; at: JsonStep[] | null } | { ok: false; error: z.ZodError };
  /**
   * One event. The HTTP route names the events it refuses and still forwards them, and the
   * hub side checks them again with this schema (or, for audit events, the normalizer's same
   * rule) and dead-letters them: one bad event never costs its neighbours, which a sender
   * that does not retry a 4xx (the kube-apiserver) would otherwise drop with it.
   */
  event: z.ZodType<unknown>;
}
/** Audit events go through the same normalize → detect path as AKS kube-audit records. */
export interface AuditSource extends SourceBase {
  kind: 'audit';
}
/** Runtime alerts are already detections: validated again on the hub side, then mapped. */
export interface AlertSource<T> extends SourceBase {
  kind: 'runtime-alert';
  event: z.ZodType<T>;
  /** `pinned`: the message's cluster is bound to the sender's secret (message.ts clusterPinned). */
  toAlert(event: T, cluster: string, pinned?: boolean): RuntimeAlert;
}
export type WebhookSource = AuditSource | AlertSource<never>;

/** A sender may post one alert or an array of them (relays that batch). */
const alertsOf = (body: unknown): ReturnType<SourceBase['events']> => {
  if (!Array.isArray(body)) return { ok: true, items: [body], at: null };
  if (body.length === 0) return { ok: false, error: z.array(z.unknown()).min(1).safeParse(body).error! };
  return { ok: true, items: body, at: [] };
};

/** An EventList by its kind, or by an items array where the kind is neither list nor Event. */
function isEventList(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  const { kind, items } = body as { kind?: unknown; items?: unknown };
  return kind === 'EventList' || (kind !== 'Event' && Array.isArray(items));
}

/** The API server always sends an EventList; a bare Event is accepted for hand-driven tests. */
function auditEventsOf(body: unknown): ReturnType<SourceBase['events']> {
  if (!isEventList(body)) return { ok: true, items: [body], at: null };
  const list = eventListSchema.safeParse(body, { error: missingField });
  return list.success ? { ok: true, items: list.data.items, at: ['items'] } : { ok: false, error: list.error };
}

function alertSource<T>(s: AlertSource<T>): WebhookSource {
  return s as unknown as WebhookSource;
}

export const WEBHOOK_SOURCES: Readonly<Record<SourceName, WebhookSource>> = {
  'k8s-audit': {
    name: 'k8s-audit',
    kind: 'audit',
    secretSetting: 'KUBESIFT_WEBHOOK_SECRET_K8S_AUDIT',
    events: auditEventsOf,
    event: auditEventSchema,
  },
  falco: alertSource({
    name: 'falco',
    kind: 'runtime-alert',
    secretSetting: 'KUBESIFT_WEBHOOK_SECRET_FALCO',
    events: alertsOf,
    event: falcoAlertSchema,
    toAlert: falcoAlert,
  }),
  kubearmor: alertSource({
    name: 'kubearmor',
    kind: 'runtime-alert',
    secretSetting: 'KUBESIFT_WEBHOOK_SECRET_KUBEARMOR',
    events: alertsOf,
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
