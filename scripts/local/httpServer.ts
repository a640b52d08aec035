// A small node:http server that serves every registered HTTP trigger at /api/<route> by
// converting to the library's own HttpRequest / InvocationContext and back, and hands
// Event Hub output bindings to the local hub bus. Function keys are not checked here
// (the Functions host enforces authLevel); the banner says so.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import functions from '@azure/functions';
import type { EventHubOutput, FunctionOutput, HttpResponseInit } from '@azure/functions';
import type { HttpTriggerDef } from '../../functions/triggers/registry.js';
import { compileRoutes, type RouteMatcher } from './routes.js';
import { resolveSetting, type HubBus, type Log } from './hubBus.js';

/** The host's default request size limit (100 MB); functions apply their own, smaller ones. */
const MAX_REQUEST_BYTES = 100 * 1024 * 1024;

const isEventHubOutput = (o: FunctionOutput): o is EventHubOutput => o.type === 'eventHub';

async function readAll(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_REQUEST_BYTES) return 'too-large';
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export interface LocalHttpServer {
  server: Server;
  url: string;
  routes: RouteMatcher[];
  close(): Promise<void>;
}

/** The request's URL, or null when its Host header or target does not make one a Request accepts. */
function requestUrl(req: IncomingMessage, fallbackHost: string): URL | null {
  try {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? fallbackHost}`);
    return url.username || url.password ? null : url;
  } catch {
    return null;
  }
}

/** Names this loopback server answers to (URL.hostname spells IPv6 in brackets). */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why a request cannot be from this machine's own tools, or null. The server checks no keys
 * (the host would), so a web page must not reach it through the browser: a Host that is not
 * a loopback name is DNS rebinding (a page's own name resolved to 127.0.0.1), and an Origin
 * other than this server's is a page posting across origins (a form needs no preflight).
 * curl and the CLI send no Origin; the UI's own requests send this server's.
 */
export function foreignRequest(url: URL, origin: string | undefined, port: number): string | null {
  if (!LOOPBACK_NAMES.has(url.hostname)) return `Host ${url.host} is not this loopback server`;
  if (origin === undefined) return null;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return `Origin ${origin} is not this server`;
  }
  return o.protocol === 'http:' && LOOPBACK_NAMES.has(o.hostname) && Number(o.port || 80) === port ? null : `Origin ${origin} is not this server`;
}

export async function startHttpServer(defs: readonly HttpTriggerDef[], bus: HubBus, log: Log, port = 7071, host = '127.0.0.1'): Promise<LocalHttpServer> {
  const routes = compileRoutes(defs);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req, `${host}:${port}`);
    // The host's server refuses a Host it cannot read (or one with credentials) with 400, too.
    if (!url) return json(res, 400, { error: 'bad Host header or request target' });
    const foreign = foreignRequest(url, req.headers.origin, (server.address() as AddressInfo).port);
    if (foreign) return json(res, 403, { error: `${foreign}: the local server answers this machine's tools and its own pages only` });
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates = routes.map((r) => ({ r, params: r.match(url.pathname) })).filter((c) => c.params !== null);
    // The host serves its own page at `/`; locally send people to KubeSift's page instead.
    if (!candidates.length && url.pathname === '/') return json(res, 302, { location: '/api/ui' }, { location: '/api/ui' });
    if (!candidates.length) return json(res, 404, { error: `no function at ${url.pathname}` });
    const hit = candidates.find((c) => c.r.methods.includes(method));
    if (!hit) return json(res, 405, { error: `${method} not allowed`, allowed: candidates[0]!.r.methods }, { allow: candidates[0]!.r.methods.join(', ') });

    const bytes = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readAll(req);
    if (bytes === 'too-large') return json(res, 413, { error: 'request larger than the host limit' });
    const def = hit.r.def;
    const request = new functions.HttpRequest({
      method,
      url: url.toString(),
      headers: headersOf(req),
      query: Object.fromEntries(url.searchParams),
      params: hit.params ?? {},
      ...(bytes.length ? { body: { bytes } } : {}),
    });
    const context = new functions.InvocationContext({
      invocationId: randomUUID(),
      functionName: def.name,
      logHandler: (level, ...args) => log(`[${def.name}] ${level === 'information' ? '' : level + ': '}${args.map(String).join(' ')}`),
      options: { trigger: { type: 'httpTrigger', name: 'httpTrigger' }, extraOutputs: def.options.extraOutputs ?? [] },
    });
    let result: HttpResponseInit | InstanceType<typeof functions.HttpResponse> | void;
    try {
      result = await def.options.handler(request, context);
    } catch (err) {
      log(`[${def.name}] error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return json(res, 500, { error: 'function failed (see the runner log)' });
    }
    // Output bindings are sent after the function returns, like the host does.
    for (const out of (def.options.extraOutputs ?? []).filter(isEventHubOutput)) {
      const value = context.extraOutputs.get(out);
      if (value === undefined || value === null) continue;
      bus.post(resolveSetting(out.eventHubName), Array.isArray(value) ? value : [value]);
    }
    const response = result instanceof functions.HttpResponse ? result : new functions.HttpResponse(result ?? { status: 200 });
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => (headers[k] = v));
    res.writeHead(response.status, headers);
    if (!response.body || method === 'HEAD') return void res.end();
    await new Promise<void>((resolve, reject) => {
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
        .on('error', reject)
        .pipe(res)
        .on('finish', resolve)
        .on('error', reject);
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`local server: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) json(res, 500, { error: 'local server error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is in use (another npm start?): stop it, or pass --port 0 for a free one`, { cause: err }) : err));
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://${host}:${actual}`,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
