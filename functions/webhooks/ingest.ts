// The webhook request path as a pure function of (source, headers, body stream, config):
// size limit → sender auth → JSON → schema → pack into hub messages. The HTTP trigger only
// adapts HttpRequest/HttpResponse and sets the Event Hub output; tests call this directly.
import { webhookSecretProblem, webhookSecrets, type Config } from '../config.js';
import { TRUNCATED_ANNOTATION } from '../contracts.js';
import { jsonElements, MAX_JSON_DEPTH, trimmedLength, valueTooDeep, type JsonStep } from '../envelope/json.js';
import { authenticate, authenticateHeaders } from './auth.js';
import { BODY_FIELD, declaredTooLarge, parseJson, readBodyLimited } from '../http/body.js';
import { messageShell, packWebhookMessages, pinnedField, type MessageHead } from './message.js';
import { CLUSTER_NAME_RULE, clusterName } from './cluster.js';
import { webhookSource } from './sources.js';
import { describeIssue, missingField } from '../http/issues.js';

export interface WebhookRequest {
  source: string;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
  /** `?cluster=` from the sender's URL (audit webhook kubeconfig server URL, Falcosidekick address). */
  cluster?: string | null;
}

export interface WebhookOutcome {
  status: number;
  body: Record<string, unknown>;
  /** Hub messages to forward; present only on success (nothing partial is ever forwarded). */
  messages?: string[];
  /** For the function log: never contains secrets or body content. */
  log: string;
  /** Seconds for a Retry-After header: a sender that honours it (the kube-apiserver) retries instead of dropping the batch. */
  retryAfter?: number;
}

/** Retry-After of a 503. */
const RETRY_AFTER_SECONDS = 60;

/** Refused events a 202 names (it counts them all). */
const MAX_NAMED_ERRORS = 10;

/** Room under the 1 MB Event Hubs event limit for AMQP framing and annotations. */
export const MAX_HUB_MESSAGE_BYTES = 1_000_000;


const fail = (status: number, error: string, log: string): WebhookOutcome => ({ status, body: { error }, log });
/** A 400 names its field as /api/datasets does: `{error, field}`, the error starting with the field. */
const badRequest = (field: string, error: string, log: string): WebhookOutcome => ({ status: 400, body: { error, field }, log });
const unauthorized = (reason: string): WebhookOutcome => ({ status: 401, body: { error: 'unauthorized' }, log: `sender auth failed: ${reason}` });

/**
 * Each event's own bytes from the body text: what the hub lands, so a re-serialization
 * never rounds an integer past 2^53 or drops a key the schema does not know. `at`: the
 * events' array (source.eventsAt), or null when the body is the one event.
 */
function eventTexts(text: string, at: JsonStep[] | null): string[] {
  if (at === null) return [text.slice(0, trimmedLength(text)).trimStart()];
  // The schema accepted the body, so the array is there.
  return jsonElements(text, at)!;
}

/**
 * An audit event too large for one hub message, cut as kube-apiserver's truncating backend
 * cuts one: without its request and response objects, annotated as truncated. Who did what
 * to which object stays; the other events of the request are not refused with it.
 */
function truncatedAuditEvent(text: string): string {
  const event = JSON.parse(text) as Record<string, unknown>;
  delete event.requestObject;
  delete event.responseObject;
  const annotations = event.annotations && typeof event.annotations === 'object' && !Array.isArray(event.annotations) ? event.annotations : {};
  event.annotations = { ...annotations, [TRUNCATED_ANNOTATION]: 'true' };
  return JSON.stringify(event);
}

export async function acceptWebhook(req: WebhookRequest, config: Config, now: Date = new Date()): Promise<WebhookOutcome> {
  const source = webhookSource(req.source);
  if (!source) return fail(404, `unknown webhook source '${req.source.slice(0, 40)}' (k8s-audit, falco, kubearmor)`, 'unknown source');
  // How the app is configured is for its operators (the function log), not for whoever calls:
  // the audit webhook route is anonymous. The setting's name, never its value, goes to the log.
  const secret = config[source.secretSetting];
  if (!secret) return fail(403, `webhook source '${source.name}' is not enabled on this app`, `source disabled: set ${source.secretSetting}`);
  const problem = webhookSecretProblem(source.secretSetting, secret);
  // Often passing (a Key Vault reference before its role assignment takes effect): worth a retry.
  if (problem) return { ...fail(503, `webhook source '${source.name}' is unavailable; try again later`, `secret unusable: ${problem}`), retryAfter: RETRY_AFTER_SECONDS };

  // A Bearer token (or no credentials) decides before the body is read: an unauthenticated
  // request costs no read and learns nothing of the size limit or encodings. An HMAC needs the body.
  const entries = webhookSecrets(secret);
  const secrets = entries.map((e) => e.secret);
  const early = authenticateHeaders(secrets, req.headers);
  if (early && !early.ok) return unauthorized(early.reason);

  // The host hands the body over as sent: a gzip body would read as "not valid UTF-8".
  const encoding = req.headers.get('content-encoding')?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return fail(415, `Content-Encoding: ${encoding.slice(0, 40)} is not accepted (send the body uncompressed)`, 'content-encoding refused');

  const max = config.KUBESIFT_WEBHOOK_MAX_BYTES;
  if (declaredTooLarge(req.headers.get('content-length'), max)) return fail(413, `body larger than ${max} bytes`, 'content-length over limit');
  const read = await readBodyLimited(req.body, max);
  if (!read.ok) return fail(413, `body larger than ${max} bytes`, `body over limit (${read.received}+ bytes)`);

  const auth = early ?? authenticate(secrets, req.headers, read.bytes, { now, requireTimestamp: config.KUBESIFT_WEBHOOK_REQUIRE_TIMESTAMP });
  if (!auth.ok) return unauthorized(auth.reason);

  const named = req.cluster?.trim() ? clusterName(req.cluster) : undefined;
  if (named === null) return badRequest('cluster', `cluster: must be ${CLUSTER_NAME_RULE} (query parameter ?cluster=)`, 'bad cluster');
  // A secret bound to a cluster sends as that cluster only: another cluster's sender, holding its
  // own secret, cannot put rows or alerts under this one's name.
  const pinned = entries[auth.secret]!.cluster;
  if (pinned !== undefined && named !== undefined && named !== pinned) return fail(403, `this credential cannot send as cluster '${named}'`, `secret bound to cluster ${pinned} used for cluster ${named}`);
  // The setting is lower-cased and checked when the settings load (config.ts).
  const cluster = pinned ?? named ?? config.KUBESIFT_DEFAULT_CLUSTER;

  const body = parseJson(read.bytes);
  if (!body.ok) return badRequest(BODY_FIELD, body.error, body.error);
  const json = body.value;
  // Serializing the events for the hub recurses per level: a few KB of brackets would
  // overflow the stack. The same bound as the Event Hub path (envelope/json.ts).
  if (valueTooDeep(json)) return badRequest(BODY_FIELD, `${BODY_FIELD}: nests deeper than ${MAX_JSON_DEPTH} levels`, 'too deep');
  const list = source.events(json);
  if (!list.ok) {
    const issue = describeIssue(list.error);
    return badRequest(issue.field, issue.text, `schema: ${issue.text}`);
  }
  const { items, at } = list;
  // Each event on its own: a bad one is named and forwarded (the hub side dead-letters it with
  // the same reason), so it never costs the others. A body with no usable event is a 400.
  const refused: { field: string; text: string }[] = [];
  for (let i = 0; i < items.length; i++) {
    const checked = source.event.safeParse(items[i], { error: missingField });
    if (!checked.success) refused.push(describeIssue(checked.error, at === null ? [] : [...at, i]));
  }
  if (refused.length === items.length) return badRequest(refused[0]!.field, refused[0]!.text, `schema: ${refused[0]!.text}`);
  const accepted = items.length - refused.length;
  const head: MessageHead = { source: source.name, cluster, ...pinnedField(pinned !== undefined), receivedTime: now.toISOString() };
  let texts = eventTexts(body.text, at);
  let messages = packWebhookMessages(head, texts, MAX_HUB_MESSAGE_BYTES);
  let truncated = 0;
  if (!messages && source.kind === 'audit') {
    const room = MAX_HUB_MESSAGE_BYTES - Buffer.byteLength(messageShell(head));
    texts = texts.map((t) => (Buffer.byteLength(t) > room ? (truncated++, truncatedAuditEvent(t)) : t));
    messages = packWebhookMessages(head, texts, MAX_HUB_MESSAGE_BYTES);
  }
  if (!messages) return fail(413, `an event is larger than one Event Hubs message (${MAX_HUB_MESSAGE_BYTES} bytes)`, 'event over hub limit');
  return {
    status: 202,
    body: {
      accepted, messages: messages.length, source: source.name, cluster,
      ...(truncated ? { truncated } : {}),
      ...(refused.length ? { refused: refused.length, errors: refused.slice(0, MAX_NAMED_ERRORS).map((r) => r.text) } : {}),
    },
    messages,
    log: `accepted ${accepted} ${source.name} event(s) from cluster ${cluster} via ${auth.method} → ${messages.length} hub message(s)${truncated ? `, ${truncated} cut to fit (request/response objects dropped)` : ''}${refused.length ? `, ${refused.length} refused and forwarded to be dead-lettered (first: ${refused[0]!.text.slice(0, 200)})` : ''}`,
  };
}
