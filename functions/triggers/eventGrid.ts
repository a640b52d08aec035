// POST /api/eventgrid: Event Grid webhook endpoint (Event Grid and CloudEvents schemas).
// Answers the subscription-validation and CloudEvents OPTIONS handshakes; on
// Microsoft.EventHub.CaptureFileCreated replays the Avro capture file through the pipeline.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { loadConfig } from '../config.js';
import {
  CAPTURE_FILE_CREATED,
  SUBSCRIPTION_VALIDATION,
  captureFileCreatedData,
  cloudEventsHandshake,
  hubFromSubject,
  parseDelivery,
} from '../capture/eventGrid.js';
import type { CaptureFileCreated } from '../capture/eventGrid.js';
import type { ReplayDeps, ReplayReport } from '../capture/replay.js';
import { errorText } from '../errorText.js';
import { BODY_FIELD, parseJson, readBodyLimited } from '../http/body.js';
import { describeIssue, missingField } from '../http/issues.js';
import { httpTrigger } from './registry.js';

/** Event Grid delivers at most 1 MB per request; a little slack for the CloudEvents envelope. */
const MAX_DELIVERY_BYTES = 1_100_000;

async function buildDeps(): Promise<ReplayDeps> {
  const config = loadConfig();
  const [{ blobServiceFor }, { getLander }, { policyFromConfig }] = await Promise.all([
    import('../land/clients.js'),
    import('../land/index.js'),
    import('../detect/index.js'),
  ]);
  return { config, blobs: blobServiceFor(config), lander: await getLander(config), policy: policyFromConfig(config) };
}

let defaults: Promise<ReplayDeps> | undefined;
/**
 * Built once per worker, as the Event Hub triggers do: per request, each delivery made a
 * lander (clients, connections) under a fresh settings object that getLander's cache never
 * saw again, and none was closed. A failure (bad settings) is not kept: the next request retries.
 */
export function defaultDeps(): Promise<ReplayDeps> {
  return (defaults ??= buildDeps().catch((err: unknown) => {
    defaults = undefined;
    throw err;
  }));
}

/** A 400 as the other routes give one: `field` names the part refused (the event's index first), and the error starts with it. */
function refused(field: string, why: string, more?: Record<string, unknown>): HttpResponseInit {
  return { status: 400, jsonBody: { error: `${field}: ${why}`, field, ...more } };
}

export async function handleEventGrid(
  request: HttpRequest,
  context: InvocationContext,
  deps?: () => Promise<ReplayDeps>,
): Promise<HttpResponseInit> {
  if (request.method === 'OPTIONS') {
    const headers = cloudEventsHandshake(request.headers);
    return headers ? { status: 200, headers } : refused('WebHook-Request-Origin', 'header required');
  }
  const read = await readBodyLimited(request.body, MAX_DELIVERY_BYTES);
  if (!read.ok) return { status: 413, jsonBody: { error: `delivery larger than ${MAX_DELIVERY_BYTES} bytes` } };
  const json = parseJson(read.bytes);
  if (!json.ok) return { status: 400, jsonBody: { error: json.error, field: BODY_FIELD } };
  const delivery = parseDelivery(json.value);
  if (!delivery.ok) return { status: 400, jsonBody: { error: delivery.error, field: delivery.field } };

  const at = delivery.events.findIndex((e) => e.type === SUBSCRIPTION_VALIDATION);
  if (at >= 0) {
    // Event Grid sends the handshake alone; answered beside other events, those were dropped with a 200.
    if (delivery.events.length > 1) return refused(`${at}`, `a ${SUBSCRIPTION_VALIDATION} comes alone, not with ${delivery.events.length - 1} other event(s)`);
    const code = (delivery.events[at]!.data as { validationCode?: unknown } | null)?.validationCode;
    if (typeof code !== 'string') return refused(`${at}.data.validationCode`, code === undefined ? 'missing, expected string' : 'expected string');
    context.log('eventgrid: subscription validation answered');
    return { status: 200, jsonBody: { validationResponse: code } };
  }

  // Each with its index in the delivery: a 400 names the event Event Grid sent, not its place among the captures.
  const captures = delivery.events.flatMap((ev, at) => (ev.type === CAPTURE_FILE_CREATED ? [{ ev, at }] : []));
  const replayed: ReplayReport[] = [];
  if (captures.length) {
    // Every event of the delivery is checked before any is replayed: a 400 is not retried
    // (Event Grid dead-letters it if configured), so nothing of a refused delivery may land.
    const datas: CaptureFileCreated[] = [];
    for (const { ev, at } of captures) {
      const data = captureFileCreatedData.safeParse(ev.data, { error: missingField });
      if (!data.success) {
        const { field, text } = describeIssue(data.error, [at, 'data']);
        return { status: 400, jsonBody: { error: text, field } };
      }
      datas.push(data.data);
    }
    const { replayCaptureFile, checkCaptureFile, ReplayRefused, CaptureUnreadable } = await import('../capture/replay.js');
    const resolved = await (deps ?? defaultDeps)();
    for (const [i, data] of datas.entries()) {
      try {
        await checkCaptureFile(data, hubFromSubject(captures[i]!.ev.subject), resolved);
      } catch (err) {
        if (err instanceof ReplayRefused) return refused(`${captures[i]!.at}.${err.field}`, err.message);
        throw err;
      }
    }
    for (const [i, { ev, at }] of captures.entries()) {
      try {
        const report = await replayCaptureFile(datas[i]!, hubFromSubject(ev.subject), resolved);
        const unreadable = report.unreadableBytes ? `, ${report.unreadableBytes} unreadable bytes kept as dead letters` : '';
        context.log(`eventgrid: replayed ${report.blob}: ${report.events} events, ${report.records} records, ${report.detections} detections, ${report.deadLetters} dead letters${unreadable}`);
        replayed.push(report);
      } catch (err) {
        context.error(`eventgrid: replay of event ${JSON.stringify(ev.id.slice(0, 100))} failed: ${errorText(err)}`);
        // A file whose header no retry can mend: 400, so Event Grid dead-letters the event at
        // once instead of retrying it for a day. Events of the delivery replayed before it
        // have landed; posting it again adds nothing twice.
        if (err instanceof CaptureUnreadable && !err.retry) return refused(`${at}.data.fileUrl`, errorText(err), { replayed });
        // 5xx: Event Grid retries with backoff; landing is idempotent per batch key.
        return { status: 500, jsonBody: { error: 'replay failed; Event Grid will retry', replayed } };
      }
    }
  }
  return { status: 200, jsonBody: { replayed, ignored: delivery.events.length - captures.length } };
}

httpTrigger('eventGrid', {
  route: 'eventgrid',
  methods: ['POST', 'OPTIONS'],
  authLevel: 'function',
  handler: (request, context) => handleEventGrid(request, context),
});
