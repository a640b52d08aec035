// What a kube-apiserver request URI names, read the way the apiserver routes it (its
// RequestInfoFactory): the path is percent-decoded, then split into segments, and the
// resource sits at a fixed place after `/api/<version>` or `/apis/<group>/<version>` and an
// optional `namespaces/<ns>`. A substring test on the raw URI matched a namespace or object
// named "secrets" and missed `/%73ecrets/`, which the apiserver serves as secrets.
// No npm library parses Kubernetes request paths, so this is written here.

export interface RequestTarget {
  readonly resource: string;
  readonly subresource: string | undefined;
  /** The namespace segment (`foo` of …/namespaces/foo and of …/namespaces/foo/pods/web); '' for cluster-scoped paths. */
  readonly namespace: string;
  /** The object name after the resource ('' for a collection). */
  readonly name: string;
}

/** Namespace subresources: `namespaces/<ns>/<these>` is the namespace's, not a resource in it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const SLASH = 47;

function decodedPath(uri: string): string | undefined {
  const q = uri.indexOf('?');
  const path = q < 0 ? uri : uri.slice(0, q);
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined; // a malformed escape: Go's URL parser refuses the request
  }
}

/** The resource and subresource a request URI names; undefined for a non-resource path (/healthz, /version, /openapi/v2). */
export function requestTarget(uri: string): RequestTarget | undefined {
  const path = decodedPath(uri);
  if (path === undefined) return undefined;
  // As Go's splitPath: outer slashes trimmed, inner empty segments kept. Nine segments are
  // the most a resource and subresource can lie in (apis/<group>/<version>/watch/namespaces/
  // <ns>/<resource>/<name>/<subresource>).
  let from = 0;
  let to = path.length;
  while (path.charCodeAt(from) === SLASH) from++;
  while (to > from && path.charCodeAt(to - 1) === SLASH) to--;
  const parts = (from === 0 && to === path.length ? path : path.slice(from, to)).split('/', 9);
  // `/api/<version>/…` or `/apis/<group>/<version>/…`.
  let i = parts[0] === 'api' ? 2 : parts[0] === 'apis' ? 3 : -1;
  if (i < 0 || parts.length <= i) return undefined;
  // The deprecated `/watch/` and `/proxy/` prefixes name the same resources (proxy: no subresource).
  const proxy = parts[i] === 'proxy';
  if (proxy || parts[i] === 'watch') i++;
  // As the apiserver: `namespaces/<ns>` sets the namespace even when the namespace itself is the object.
  const namespace = parts[i] === 'namespaces' ? (parts[i + 1] ?? '') : '';
  if (parts[i] === 'namespaces' && parts.length > i + 2 && !NAMESPACE_SUBRESOURCES.has(parts[i + 2]!)) i += 2;
  const resource = parts[i];
  return resource === undefined ? undefined : { resource, subresource: proxy ? undefined : parts[i + 2], namespace, name: parts[i + 1] ?? '' };
}

let lastUri: string | undefined;
let lastTarget: RequestTarget | undefined;
/** requestTarget, remembering the last URI: the resource and subresource fields of one row ask for the same one. */
export function requestTargetOnce(uri: string): RequestTarget | undefined {
  if (uri !== lastUri) {
    lastUri = uri;
    lastTarget = requestTarget(uri);
  }
  return lastTarget;
}
