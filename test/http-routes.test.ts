// The Functions host has matched overlapping routes in function-name order, not by ASP.NET's
// literal-first precedence (azure-functions-host #9876): no two of the app's HTTP routes may
// match one request path, or which function answers would depend on names.
import { describe, expect, it } from 'vitest';
import { httpTriggers } from '../functions/triggers/registry.js';
import '../functions/index.js';
import { compileRoute } from '../scripts/local/routes.js';

/** Request paths a route template serves: each parameter as a sample value, optional ones also left out. */
function samplePaths(template: string): string[] {
  let paths = [''];
  for (const seg of template.split('/')) {
    const param = /^\{(\*)?\w+(?::[^}?]+)?(\?)?\}$/.exec(seg);
    const values = param ? ['k8s-audit', ...(param[1] || param[2] ? [null] : [])] : [seg];
    paths = paths.flatMap((p) => values.map((v) => (v === null ? p : `${p}/${v}`)));
  }
  return paths.map((p) => `/api${p}`);
}

describe('HTTP routes', () => {
  it('no request path matches two functions (literal segments included: "k8s-audit" stands in for every parameter)', () => {
    const routes = httpTriggers.map((d) => ({ def: d, matcher: compileRoute(d) }));
    expect(routes.map((r) => r.def.name)).toEqual(expect.arrayContaining(['webhooks', 'auditWebhook', 'datasets', 'datasetFiles', 'ui', 'uiAssets']));
    for (const r of routes)
      for (const p of samplePaths(r.matcher.template)) {
        const methods = new Set(r.matcher.methods);
        const others = routes.filter((o) => o !== r && o.matcher.methods.some((m) => methods.has(m)) && o.matcher.match(p) !== null);
        expect(others.map((o) => o.def.name), `${r.def.name}: ${p}`).toEqual([]);
      }
  });

  it('the check sees an overlap', () => {
    const param = compileRoute({ name: 'a', options: { route: 'webhooks/{source}', handler: async () => ({}) } });
    expect(param.match(samplePaths('webhooks/k8s-audit')[0]!)).toEqual({ source: 'k8s-audit' });
  });
});
