// The local server checks no function keys (the Functions host does, in Azure), so nothing a
// web page makes a browser send may reach it: DNS rebinding (a foreign Host resolved to
// 127.0.0.1) and cross-origin posts (a form needs no preflight) are refused before routing.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpTriggers } from '../functions/triggers/registry.js';
import '../functions/index.js';
import { HubBus } from '../scripts/local/hubBus.js';
import { foreignRequest, startHttpServer, type LocalHttpServer } from '../scripts/local/httpServer.js';

describe('foreignRequest', () => {
  const at = (host: string) => new URL(`http://${host}/api/health`);
  it('takes loopback names with no Origin or this server\'s own', () => {
    for (const host of ['127.0.0.1:7071', 'localhost:7071', '[::1]:7071']) expect(foreignRequest(at(host), undefined, 7071), host).toBeNull();
    for (const origin of ['http://127.0.0.1:7071', 'http://localhost:7071', 'http://[::1]:7071']) expect(foreignRequest(at('127.0.0.1:7071'), origin, 7071), origin).toBeNull();
  });
  it('refuses a foreign Host, and an Origin of another site, port, scheme, or none at all ("null")', () => {
    expect(foreignRequest(at('evil.example:7071'), undefined, 7071)).toMatch(/^Host evil\.example:7071 is not/);
    expect(foreignRequest(at('127.0.0.2:7071'), undefined, 7071)).toMatch(/^Host/);
    for (const origin of ['https://evil.example', 'http://127.0.0.1:8080', 'https://127.0.0.1:7071', 'null', 'http://localhost.evil.example:7071'])
      expect(foreignRequest(at('127.0.0.1:7071'), origin, 7071), origin).toMatch(/^Origin .* is not this server$/);
  });
});

describe('the local HTTP server refuses foreign requests before any function runs', () => {
  let server: LocalHttpServer;
  beforeAll(async () => {
    server = await startHttpServer(httpTriggers, new HubBus([], () => {}), () => {}, 0);
  });
  afterAll(() => server.close());

  const send = (method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const u = new URL(path, server.url);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject).end(body);
    });

  it('a cross-origin form post to /api/ui/preview is a 403 naming the Origin; the same post from the page origin runs', async () => {
    const form = { 'content-type': 'text/plain' };
    const body = '{"logType":"syslog","count":5}';
    const foreign = await send('POST', '/api/ui/preview', { ...form, origin: 'https://evil.example' }, body);
    expect(foreign.status).toBe(403);
    expect(foreign.text).toContain('Origin https://evil.example is not this server');
    const own = await send('POST', '/api/ui/preview', { ...form, origin: server.url }, body);
    expect(own.status).toBe(200);
  });

  it('a rebinding Host reading /api/health is a 403; the loopback Host is answered', async () => {
    expect((await send('GET', '/api/health', { host: 'evil.example' })).status).toBe(403);
    expect((await send('GET', '/api/health', {})).status).toBe(200);
  });
});
