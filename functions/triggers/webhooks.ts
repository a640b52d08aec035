// POST /api/webhooks/{source}: Kubernetes audit webhook, Falcosidekick, KubeArmor relay.
// Function key (host) + per-source secret; accepted events go to the webhook hub through
// the Event Hub output binding and are processed by webhookEvents.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { loadConfig } from '../config.js';
import { acceptWebhook } from '../webhooks/ingest.js';
import { httpTrigger } from './registry.js';

export const webhookHubOutput = functions.output.eventHub({
  eventHubName: '%KUBESIFT_WEBHOOK_HUB%',
  connection: 'EventHubConnection',
});

export async function handleWebhook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const outcome = await acceptWebhook(
    { source: request.params.source ?? '', headers: request.headers, body: request.body, cluster: request.query.get('cluster') },
    loadConfig(),
  );
  if (outcome.messages) context.extraOutputs.set(webhookHubOutput, outcome.messages);
  // The route value is the sender's: quoted and cut, so it cannot forge a log line.
  const line = `webhooks/${JSON.stringify((request.params.source ?? '').slice(0, 40))}: ${outcome.status} ${outcome.log}`;
  if (outcome.status < 400) context.log(line);
  else context.warn(line);
  return { status: outcome.status, jsonBody: outcome.body };
}

httpTrigger('webhooks', {
  route: 'webhooks/{source}',
  methods: ['POST'],
  authLevel: 'function',
  extraOutputs: [webhookHubOutput],
  handler: handleWebhook,
});
