// HTTP bindings of the dataset generator: POST /api/datasets, GET /api/datasets/{logType}/{hash}/{file},
// GET /api/log-types, GET /api/schemas/{logType}, GET /api/health. Logic lives in functions/generate/api.ts.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Config } from '../config.js';
import { BODY_FIELD, readJsonBody } from '../http/body.js';
import { httpTrigger } from './registry.js';

/** A dataset request is a few hundred bytes of JSON; anything near this is not one. */
const MAX_REQUEST_BYTES = 64 * 1024;

let cachedConfig: Config | undefined;
async function config(): Promise<Config> {
  if (!cachedConfig) cachedConfig = (await import('../config.js')).loadConfig();
  return cachedConfig;
}

/** Test seam: override config (and so storage) for the handlers; `undefined` resets. */
export function setDatasetsConfig(c: Config | undefined): void {
  cachedConfig = c;
}

export async function postDatasets(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const read = await readJsonBody(request, MAX_REQUEST_BYTES);
  if (!read.ok) return { status: read.status, jsonBody: { error: read.error, field: BODY_FIELD } };
  const body = read.value;
  const cfg = await config();
  // Loaded on first use so the other functions of the app never pay for the generator, and
  // requests that do not ingest never load the Kusto client.
  const [{ postDataset }, { blobServiceFor }] = await Promise.all([import('../generate/api.js'), import('../land/clients.js')]);
  const container = () => blobServiceFor(cfg).getContainerClient(cfg.KUBESIFT_DATASETS_CONTAINER);
  const res = await postDataset(body, cfg, container, async (c, args) => (await import('../land/ingestBlob.js')).ingestFromBlob(c, args));
  if (res.status === 200) {
    const b = res.body as { request: { logType: string }; rows: number; requestHash: string };
    context.log(`datasets: ${b.request.logType} ${b.rows} rows → ${b.requestHash}`);
  }
  return { status: res.status, jsonBody: res.body };
}

/** GET /api/datasets/{logType}/{hash}/{file}: a generated file, streamed from the private datasets container. */
export async function getDatasetFile(request: HttpRequest): Promise<HttpResponseInit> {
  const cfg = await config();
  const [api, { blobServiceFor }] = await Promise.all([import('../generate/api.js'), import('../land/clients.js')]);
  const res = await api.getDatasetFile(request.params, () => blobServiceFor(cfg).getContainerClient(cfg.KUBESIFT_DATASETS_CONTAINER));
  return 'headers' in res ? res : { status: res.status, jsonBody: res.body };
}

export async function getLogTypes(): Promise<HttpResponseInit> {
  const res = (await import('../generate/api.js')).getLogTypes(await config());
  return { status: res.status, jsonBody: res.body };
}

export async function getSchema(request: HttpRequest): Promise<HttpResponseInit> {
  const res = (await import('../generate/api.js')).getSchema(request.params.logType ?? '');
  return { status: res.status, jsonBody: res.body };
}

export async function getHealth(): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: { status: 'ok', service: 'kubesift' } };
}

httpTrigger('datasets', { route: 'datasets', methods: ['POST'], authLevel: 'function', handler: postDatasets });
// Three segments under datasets/: no other route matches such a path (test/http-routes.test.ts).
httpTrigger('datasetFiles', { route: 'datasets/{logType}/{hash}/{file}', methods: ['GET'], authLevel: 'function', handler: getDatasetFile });
httpTrigger('logTypes', { route: 'log-types', methods: ['GET'], authLevel: 'function', handler: getLogTypes });
httpTrigger('schemas', { route: 'schemas/{logType}', methods: ['GET'], authLevel: 'function', handler: getSchema });
httpTrigger('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: getHealth });
