// requestTarget reads a kube-apiserver request URI the way the apiserver's RequestInfoFactory
// routes it; the apiserver rules match on what it returns.
import { describe, expect, it } from 'vitest';
import { requestTarget } from '../functions/detect/requestPath.js';

describe('requestTarget', () => {
  it.each([
    ['/api/v1/namespaces/prod/secrets/db', 'secrets', undefined],
    ['/api/v1/namespaces/prod/pods/web-0/exec?command=sh', 'pods', 'exec'],
    ['/apis/apps/v1/namespaces/prod/deployments/web/scale', 'deployments', 'scale'],
    ['/api/v1/secrets?watch=true', 'secrets', undefined],
    ['/api/v1/nodes/aks-0/proxy/metrics', 'nodes', 'proxy'],
    // A namespace itself, and its own subresources.
    ['/api/v1/namespaces/prod', 'namespaces', undefined],
    ['/api/v1/namespaces/prod/finalize', 'namespaces', 'finalize'],
    ['/api/v1/namespaces/prod/status', 'namespaces', 'status'],
    // Deprecated prefixes: watch names the resource; proxy has no subresource.
    ['/api/v1/watch/namespaces/prod/secrets', 'secrets', undefined],
    ['/api/v1/proxy/namespaces/prod/pods/web-0/exec', 'pods', undefined],
    // Decoded before it is split, as Go's URL.Path.
    ['/api/v1/namespaces/prod/%73ecrets/db', 'secrets', undefined],
    ['/api/v1/namespaces/prod/pods%2Fweb-0%2Fexec', 'pods', 'exec'],
  ])('%s → %s %s', (uri, resource, subresource) => {
    expect(requestTarget(uri)).toEqual({ resource, subresource });
  });

  it.each(['/healthz', '/version', '/openapi/v2', '/api', '/api/v1', '/apis/apps/v1', '/api/v1/namespaces/prod/%zz', ''])('%s names no resource', (uri) => {
    expect(requestTarget(uri)).toBeUndefined();
  });
});
