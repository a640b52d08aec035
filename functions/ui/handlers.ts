// HTTP handlers behind functions/triggers/ui.ts: the page and its assets (anonymous, static),
// the preview and the detections query (function key, like every other API route).
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { loadConfig, type Config } from '../config.js';
import { BODY_FIELD, readJsonBody } from '../http/body.js';
import { missingField } from '../http/issues.js';
import { pageHtml, SECURITY_HEADERS, staticAsset, type Asset } from './assets.js';
import { parseDetectionsQuery, QueryError, queryDetections, type DetectionsQuery } from './detectionsQuery.js';
import { readLandedDetections } from './landedDetections.js';

/** Preview bodies are small JSON; anything bigger is not from the page. */
const MAX_PREVIEW_BODY = 16 * 1024;

function json(status: number, body: unknown): HttpResponseInit {
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: JSON.stringify(body),
  };
}

/** Static text with a validator, so reloads cost a 304 and edits are picked up without guessing. */
function staticResponse(request: HttpRequest, asset: Asset): HttpResponseInit {
  const headers = { ...SECURITY_HEADERS, ETag: asset.etag, 'Cache-Control': 'no-cache' };
  if (request.headers.get('if-none-match') === asset.etag) return { status: 304, headers };
  return { status: 200, headers: { ...headers, 'Content-Type': asset.contentType }, body: asset.body };
}

export async function uiPage(request: HttpRequest): Promise<HttpResponseInit> {
  return staticResponse(request, pageHtml(new URL(request.url).pathname));
}

export async function uiAsset(request: HttpRequest): Promise<HttpResponseInit> {
  const asset = staticAsset(request.params.name ?? '');
  if (!asset) return { status: 404, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'not found' };
  return staticResponse(request, asset);
}

/** POST /api/ui/preview: same body and validation as POST /api/datasets; answers the first lines. */
export async function uiPreview(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const body = await readJsonBody(request, MAX_PREVIEW_BODY);
  // Too large or not JSON: the body as a whole is the issue (path '', as the form shows it).
  if (!body.ok) return json(body.status, { error: body.error, issues: [{ path: '', message: body.error }] });
  const raw = body.value;
  // The generators load on first use, keeping cold start light for the page itself.
  const [{ datasetRequestSchema, PlanError, resolveRequest }, { ingestRefusal }, { previewLines }] = await Promise.all([
    import('../generate/index.js'),
    import('../generate/api.js'),
    import('./preview.js'),
  ]);
  const cfg = config();
  const parsed = datasetRequestSchema(cfg.KUBESIFT_DATASET_MAX_COUNT).safeParse(raw, { error: missingField });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
    return json(400, { error: `invalid request: ${issues.map((i) => `${i.path || BODY_FIELD}: ${i.message}`).join('; ')}`, issues });
  }
  try {
    // What Generate would refuse, preview refuses: the datasets trigger always has an ingest client.
    const refusal = ingestRefusal(resolveRequest(parsed.data), parsed.data.ingest, !!cfg.KUBESIFT_KUSTO_INGEST_URL);
    if (refusal) return json(400, { error: `invalid request: ${refusal.field}: ${refusal.error}`, issues: [{ path: refusal.field, message: refusal.error }] });
    return json(200, previewLines(parsed.data));
  } catch (e) {
    if (e instanceof PlanError) return json(400, { error: `invalid request: ${e.field}: ${e.message}`, issues: [{ path: e.field, message: e.message }] });
    context.error('ui/preview failed', e);
    return json(500, { error: 'preview failed' });
  }
}

/** GET /api/detections?priority=…&rule=…&namespace=…&user=…&source=…&action=…&limit=… (an empty value matches empty fields) */
export async function detections(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let q: DetectionsQuery;
  try {
    q = parseDetectionsQuery(new URL(request.url).searchParams);
  } catch (e) {
    if (e instanceof QueryError) return json(400, { error: e.message, field: e.field });
    throw e;
  }
  const cfg = config();
  const landed = await readLandedDetections(cfg).catch((e: unknown) => {
    context.error('detections: reading the landing failed', e);
    return null;
  });
  if (!landed) return json(502, { error: 'could not read landed detections from Blob storage' });
  const answer = queryDetections(landed.rows, q);
  const note =
    landed.rows.length === 0
      ? cfg.KUBESIFT_SINK === 'blob'
        ? landed.note ?? 'No detections landed yet.'
        : `Detections go to Azure Data Explorer (KUBESIFT_SINK=${cfg.KUBESIFT_SINK}); this view reads the Blob landing only. Query the Detections table in ADX.`
      : undefined;
  // What the bounds left out is said, not hidden: `total` counts the files read only.
  return json(200, { ...answer, ...(note ? { note } : {}), blobsRead: landed.blobsRead, blobsFound: landed.blobsFound, truncated: landed.truncated });
}

function config(): Config {
  return loadConfig();
}
