// Functions route templates ("webhooks/{source}", "schemas/{logType?}", "files/{*path}",
// "items/{id:int}") → matchers, so the local server serves each HTTP trigger at its real
// route with the same route parameters the host would bind.
import type { HttpTriggerDef } from '../../functions/triggers/registry.js';

export interface RouteMatcher {
  def: HttpTriggerDef;
  template: string;
  methods: readonly string[];
  match(path: string): Record<string, string> | null;
  /**
   * Literal routes win over parameterized ones here. The host does not promise that (it has
   * matched overlapping routes in function-name order: azure-functions-host #9876), so the
   * app's routes never overlap (test/http-routes.test.ts).
   */
  specificity: number;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileRoute(def: HttpTriggerDef, prefix = 'api'): RouteMatcher {
  const template = (def.options.route ?? def.name).replace(/^\/+|\/+$/g, '');
  const names: string[] = [];
  let specificity = 0;
  const parts = template.split('/').map((seg) => {
    const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]+)?(\?)?\}$/.exec(seg);
    if (!m) {
      specificity += 2;
      return `/${escape(seg)}`;
    }
    const [, catchAll, name, optional] = m;
    names.push(name!);
    if (catchAll) return '(?:/(.*))?';
    specificity += 1;
    return optional ? '(?:/([^/]+))?' : '/([^/]+)';
  });
  const re = new RegExp(`^/${escape(prefix)}${parts.join('')}/?$`, 'i');
  return {
    def,
    template,
    methods: (def.options.methods ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
    specificity,
    match(path) {
      const m = re.exec(path);
      if (!m) return null;
      const params: Record<string, string> = {};
      names.forEach((n, i) => {
        const v = m[i + 1];
        if (v !== undefined) params[n] = decodeParam(v);
      });
      return params;
    },
  };
}

/** A route value decoded; a malformed escape (`%zz`) is left as it is, as the host's server does, not thrown. */
function decodeParam(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

export function compileRoutes(defs: readonly HttpTriggerDef[]): RouteMatcher[] {
  return defs.map((d) => compileRoute(d)).sort((a, b) => b.specificity - a.specificity);
}
