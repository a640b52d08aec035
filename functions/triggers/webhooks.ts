// POST /api/webhooks/{source}: Kubernetes audit webhook, Falcosidekick, KubeArmor relay.
// Function key (host) + per-source secret; accepted events go to the webhook hub through
// the Event Hub output binding and are processed by webhookEvents.
// POST /api/audit-webhook/{cluster}: the kube-apiserver's audit webhook backend. Its client
// (client-go's REST client) drops the query string of the kubeconfig's server URL and can
// send no header but its credentials, so neither ?code= nor x-functions-key reaches the
// host: the route is anonymous, the cluster is in the path, and the Bearer token (the
// k8s-audit secret) is what authenticates the sender.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { loadConfig } from '../config.js';
import { acceptWebhook } from '../webhooks/ingest.js';
import { httpTrigger } from './registry.js';

export const webhookHubOutput = functions.output.eventHub({
  eventHubName: '%KUBESIFT_WEBHOOK_HUB%',
  connection: 'EventHubConnection',
});

async function accept(source: string, cluster: string | null, request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const outcome = await acceptWebhook({ source, headers: request.headers, body: request.body, cluster }, loadConfig());
  if (outcome.messages) context.extraOutputs.set(webhookHubOutput, outcome.messages);
  // The route value is the sender's: quoted and cut, so it cannot forge a log line.
  const line = `webhooks/${JSON.stringify(source.slice(0, 40))}: ${outcome.status} ${outcome.log}`;
  if (outcome.status < 400) context.log(line);
  else context.warn(line);
  return { status: outcome.status, jsonBody: outcome.body, ...(outcome.retryAfter ? { headers: { 'Retry-After': String(outcome.retryAfter) } } : {}) };
}

export const handleWebhook = (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> =>
  accept(request.params.source ?? '', request.query.get('cluster'), request, context);

export const handleAuditWebhook = (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> =>
  accept('k8s-audit', request.params.cluster ?? request.query.get('cluster'), request, context);

httpTrigger('webhooks', {
  route: 'webhooks/{source}',
  methods: ['POST'],
  authLevel: 'function',
  extraOutputs: [webhookHubOutput],
  handler: handleWebhook,
});

httpTrigger('auditWebhook', {
  route: 'audit-webhook/{cluster?}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraOutputs: [webhookHubOutput],
  handler: handleAuditWebhook,
});
