// requestTarget reads a kube-apiserver request URI the way the apiserver's RequestInfoFactory
// routes it; the apiserver rules match on what it returns.
import { describe, expect, it } from 'vitest';
import { requestTarget } from '../functions/detect/requestPath.js';

describe('requestTarget', () => {
  it.each([
    ['/api/v1/namespaces/prod/secrets/db', 'secrets', undefined, 'prod', 'db'],
    ['/api/v1/namespaces/prod/pods/web-0/exec?command=sh', 'pods', 'exec', 'prod', 'web-0'],
    ['/apis/apps/v1/namespaces/prod/deployments/web/scale', 'deployments', 'scale', 'prod', 'web'],
    ['/api/v1/secrets?watch=true', 'secrets', undefined, '', ''],
    ['/api/v1/nodes/aks-0/proxy/metrics', 'nodes', 'proxy', '', 'aks-0'],
    // A namespace itself, and its own subresources: the apiserver sets the namespace to it.
    ['/api/v1/namespaces/prod', 'namespaces', undefined, 'prod', 'prod'],
    ['/api/v1/namespaces', 'namespaces', undefined, '', ''],
    ['/api/v1/namespaces/prod/finalize', 'namespaces', 'finalize', 'prod', 'prod'],
    ['/api/v1/namespaces/prod/status', 'namespaces', 'status', 'prod', 'prod'],
    // Deprecated prefixes: watch names the resource; proxy has no subresource.
    ['/api/v1/watch/namespaces/prod/secrets', 'secrets', undefined, 'prod', ''],
    ['/api/v1/proxy/namespaces/prod/pods/web-0/exec', 'pods', undefined, 'prod', 'web-0'],
    // Decoded before it is split, as Go's URL.Path.
    ['/api/v1/namespaces/prod/%73ecrets/db', 'secrets', undefined, 'prod', 'db'],
    ['/api/v1/namespaces/prod/pods%2Fweb-0%2Fexec', 'pods', 'exec', 'prod', 'web-0'],
  ])('%s → %s %s in %s named %s', (uri, resource, subresource, namespace, name) => {
    expect(requestTarget(uri)).toEqual({ resource, subresource, namespace, name });
  });

  it.each(['/healthz', '/version', '/openapi/v2', '/api', '/api/v1', '/apis/apps/v1', '/api/v1/namespaces/prod/%zz', ''])('%s names no resource', (uri) => {
    expect(requestTarget(uri)).toBeUndefined();
  });
});
