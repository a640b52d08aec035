// Named fields over an AksAudit row, Falco k8s-audit style (`ka.*`). Each field is one
// extractor; the engine evaluates a field at most once per row and caches the value.
// Single-valued fields yield a string or undefined ("does not exist"); multi-valued fields
// yield an array (empty = no values), which `in` / `intersects` treat differently.
import { posix } from 'node:path';
import type { AksAuditRow } from '../contracts.js';

export type FieldValue = string | undefined | readonly string[];

export interface FieldDef {
  readonly name: string;
  readonly multi: boolean;
  readonly doc: string;
  readonly get: (row: AksAuditRow) => FieldValue;
}

type Obj = Record<string, unknown>;
const EMPTY: readonly string[] = Object.freeze([]);

const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : EMPTY);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
const nonEmpty = (s: string): string | undefined => (s === '' ? undefined : s);
/** JSON text of a sub-object, for output and `contains` checks (Falco prints objects as JSON). */
const json = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : JSON.stringify(v));

// requestObject is a string ('skipped-too-big-size-object') when AKS dropped it: no fields then.
const req = (row: AksAuditRow): Obj | undefined => obj(row.RequestObject);
const reqSpec = (row: AksAuditRow): Obj | undefined => obj(req(row)?.spec);
const uninspected = (row: AksAuditRow): FieldValue => (row.Truncated ? 'truncated' : typeof row.RequestObject === 'string' ? row.RequestObject || 'empty' : undefined);

/** Image repository as Falco's plugin computes it: up to the first ':' then up to the first '@'. */
export function imageRepository(image: string): string {
  const colon = image.indexOf(':');
  const noTag = colon < 0 ? image : image.slice(0, colon);
  const at = noTag.indexOf('@');
  return at < 0 ? noTag : noTag.slice(0, at);
}

type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';

// Element readers are module-level functions: passing them to map() allocates nothing per row.
const strOrEmpty = (v: unknown): string => str(v) ?? '';
const imageOf = (c: unknown): string => str(obj(c)?.image) ?? '';
const nameOf = (c: unknown): string => str(obj(c)?.name) ?? '';
const subjectRef = (c: unknown): string => {
  const o = obj(c);
  const ns = str(o?.namespace);
  return `${str(o?.kind) ?? ''}:${ns ? `${ns}/` : ''}${nameOf(c)}`;
};
// A container without securityContext.privileged counts as "false" (one value per container).
const privilegedOf = (c: unknown): string => (obj(obj(c)?.securityContext)?.privileged === true ? 'true' : 'false');

const containers = (row: AksAuditRow, list: ContainerList): readonly unknown[] => arr(reqSpec(row)?.[list]);
const images = (row: AksAuditRow, list: ContainerList): readonly string[] => containers(row, list).map(imageOf);
/** Every container of the pod: an init container runs with the pod's host namespaces, volumes and privileges too. */
const allImages = (row: AksAuditRow): readonly string[] => [...images(row, 'containers'), ...images(row, 'initContainers'), ...images(row, 'ephemeralContainers')];
const privileged = (row: AksAuditRow, list: ContainerList): readonly string[] => containers(row, list).map(privilegedOf);
const specFlag = (key: string) => (row: AksAuditRow): FieldValue => {
  const spec = reqSpec(row);
  if (!spec) return undefined;
  return spec[key] === true ? 'true' : 'false';
};

const roleRules = (row: AksAuditRow): readonly unknown[] => arr(req(row)?.rules);
const ruleItems = (key: 'resources' | 'verbs') => (row: AksAuditRow): readonly string[] => {
  const out: string[] = [];
  for (const r of roleRules(row)) for (const x of arr(obj(r)?.[key])) out.push(strOrEmpty(x));
  return out;
};

/** All values of one query parameter of the request URI (exec `command=` repeats). */
export function uriParam(uri: string, name: string): readonly string[] {
  const q = uri.indexOf('?');
  if (q < 0) return EMPTY;
  const out: string[] = [];
  for (const part of uri.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key !== name) continue;
    try {
      out.push(decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, ' ')));
    } catch {
      out.push(part.slice(eq + 1));
    }
  }
  return out;
}

/**
 * A hostPath as the node resolves it, lexically: `/etc/`, `//etc` and `/var/../etc` mount
 * `/etc`, which Falco's exact match would let pass. A relative path stays as written.
 */
function cleanHostPath(p: string): string {
  if (!p.startsWith('/')) return p;
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function hostPaths(row: AksAuditRow): readonly string[] {
  const out: string[] = [];
  for (const v of arr(reqSpec(row)?.volumes)) {
    const p = str(obj(obj(v)?.hostPath)?.path);
    if (p !== undefined) out.push(cleanHostPath(p));
  }
  return out;
}

/** A JSON-patch path into the ephemeral containers: the list, an item, or a field of an item. */
const EPHEMERAL_PATH = /^\/spec\/ephemeralContainers(?:\/(?:-|\d+)(\/.*)?)?$/;
/** What a copy or move into the list adds: a container whose settings the request does not carry. */
const UNSEEN_CONTAINER = { securityContext: { privileged: true } };

/**
 * The ephemeral containers a request to the ephemeralcontainers subresource adds, the one it
 * names first: an EphemeralContainers object's list (≤1.21), a Pod's or a merge patch's spec
 * list (1.22+; `kubectl debug` sends a strategic merge patch), newest (last) first, or what a
 * JSON patch writes there: whole containers, a `securityContext` or its `privileged` set on
 * one, or a container copied or moved in (counted as privileged: its settings are not in the
 * request).
 */
function ephemeralRequested(row: AksAuditRow): readonly unknown[] {
  const body = row.RequestObject;
  if (Array.isArray(body)) {
    const out: unknown[] = [];
    for (const op of body) {
      const o = obj(op);
      const m = o && typeof o.path === 'string' ? EPHEMERAL_PATH.exec(o.path) : null;
      if (!o || !m) continue;
      if (o.op === 'copy' || o.op === 'move') out.push(UNSEEN_CONTAINER);
      if (o.op !== 'add' && o.op !== 'replace') continue;
      const field = m[1];
      if (field === undefined) {
        if (Array.isArray(o.value)) out.push(...o.value.slice(0, 100));
        else out.push(o.value);
      } else if (field === '/securityContext') out.push({ securityContext: o.value });
      else if (field === '/securityContext/privileged') out.push({ securityContext: { privileged: o.value } });
    }
    return out;
  }
  const r = obj(body);
  const old = arr(r?.ephemeralContainers);
  return old.length ? old : [...arr(obj(r?.spec)?.ephemeralContainers)].reverse();
}

/** The ephemeral containers the pod has after the request (a RequestResponse event's Pod). */
const ephemeralAfter = (row: AksAuditRow): readonly unknown[] => arr(obj(obj(row.ResponseObject)?.spec)?.ephemeralContainers);

const ephemeralFirst = (row: AksAuditRow): Obj | undefined => obj(ephemeralRequested(row)[0]);

const def = (name: string, multi: boolean, doc: string, get: (row: AksAuditRow) => FieldValue): FieldDef => ({ name, multi, doc, get });

/** The field table. Order is irrelevant; names are the public vocabulary of rules, exceptions and outputs. */
export const FIELDS = [
  def('ka.auditid', false, 'auditID', (r) => nonEmpty(r.AuditId)),
  def('ka.stage', false, 'stage', (r) => nonEmpty(r.Stage)),
  def('ka.verb', false, 'verb', (r) => nonEmpty(r.Verb)),
  def('ka.uri', false, 'requestURI', (r) => nonEmpty(r.RequestUri)),
  def('ka.uri.param.command', true, 'values of the command= query parameter (exec)', (r) => uriParam(r.RequestUri, 'command')),
  def('ka.user.name', false, 'user.username', (r) => nonEmpty(r.UserName)),
  def('ka.user.groups', true, 'user.groups', (r) => arr(r.UserGroups).map(strOrEmpty)),
  def('ka.impuser.name', false, 'impersonatedUser.username', (r) => nonEmpty(r.ImpersonatedUserName)),
  def('ka.useragent', false, 'userAgent', (r) => nonEmpty(r.UserAgent)),
  def('ka.sourceip', false, 'first sourceIPs entry', (r) => nonEmpty(r.SourceIp)),
  def('ka.target.resource', false, 'objectRef.resource', (r) => nonEmpty(r.Resource)),
  def('ka.target.subresource', false, 'objectRef.subresource', (r) => nonEmpty(r.Subresource)),
  def('ka.target.namespace', false, 'objectRef.namespace', (r) => nonEmpty(r.Namespace)),
  def('ka.target.name', false, 'objectRef.name', (r) => nonEmpty(r.Name)),
  def('ka.resp.name', false, 'responseObject.metadata.name', (r) => str(obj(obj(r.ResponseObject)?.metadata)?.name)),
  def('ka.response.code', false, 'responseStatus.code', (r) => (r.ResponseCode === null ? undefined : String(r.ResponseCode))),
  def('ka.response.reason', false, 'responseStatus.reason', (r) => str(obj(r.ResponseStatus)?.reason)),
  def('ka.auth.decision', false, 'authorization.k8s.io/decision annotation', (r) => nonEmpty(r.AuthorizationDecision)),
  def('ka.auth.reason', false, 'authorization.k8s.io/reason annotation', (r) => nonEmpty(r.AuthorizationReason)),
  def('ka.req.pod.containers.image', true, 'images of spec.containers', (r) => images(r, 'containers')),
  def('ka.req.pod.containers.image.repository', true, 'image repositories of spec.containers', (r) => images(r, 'containers').map(imageRepository)),
  def('ka.req.pod.all_containers.image.repository', true, 'image repositories of every container: containers, initContainers, ephemeralContainers (KubeSift)', (r) => allImages(r).map(imageRepository)),
  def('ka.req.pod.containers.privileged', true, 'securityContext.privileged per container', (r) => privileged(r, 'containers')),
  def('ka.req.pod.initContainers.image', true, 'images of spec.initContainers', (r) => images(r, 'initContainers')),
  def('ka.req.pod.initContainers.privileged', true, 'securityContext.privileged per init container', (r) => privileged(r, 'initContainers')),
  def('ka.req.pod.ephemeralContainers.image', true, 'images of spec.ephemeralContainers', (r) => images(r, 'ephemeralContainers')),
  def('ka.req.pod.ephemeralContainers.privileged', true, 'securityContext.privileged per ephemeral container', (r) => privileged(r, 'ephemeralContainers')),
  def('ka.req.pod.volumes.hostpath', true, 'spec.volumes[].hostPath.path, resolved lexically (/etc/ and //etc are /etc)', hostPaths),
  def('ka.req.pod.volumes', false, 'spec.volumes as JSON', (r) => json(reqSpec(r)?.volumes)),
  def('ka.req.pod.host_network', false, 'spec.hostNetwork', specFlag('hostNetwork')),
  def('ka.req.pod.host_pid', false, 'spec.hostPID', specFlag('hostPID')),
  def('ka.req.pod.host_ipc', false, 'spec.hostIPC', specFlag('hostIPC')),
  def('ka.req.ephemeral.name', false, 'name of the (first) ephemeral container requested', (r) => str(ephemeralFirst(r)?.name)),
  def('ka.req.ephemeral.image', false, 'image of the (first) ephemeral container requested', (r) => str(ephemeralFirst(r)?.image)),
  def('ka.req.ephemeral.privileged', true, '(KubeSift) securityContext.privileged of each ephemeral container a request to pods/ephemeralcontainers adds (merge patch, JSON patch or object), and of the pod\'s ephemeral containers in the response when it has them', (r) => [...ephemeralRequested(r), ...ephemeralAfter(r)].map(privilegedOf)),
  def('ka.req.service.type', false, 'spec.type of a Service', (r) => str(reqSpec(r)?.type)),
  def('ka.req.service.ports', false, 'spec.ports of a Service as JSON', (r) => json(reqSpec(r)?.ports)),
  // objectRef.name as Falco reads it (a patch's body rarely names its object), else the body's metadata.name.
  def('ka.req.configmap.name', false, 'objectRef.name of a ConfigMap request (as Falco), else the request body\'s metadata.name', (r) => nonEmpty(r.Name) ?? str(obj(req(r)?.metadata)?.name)),
  def('ka.req.configmap.obj', false, 'data of a ConfigMap as JSON', (r) => json(req(r)?.data)),
  def('ka.req.binding.role', false, 'roleRef.name of a (Cluster)RoleBinding', (r) => str(obj(req(r)?.roleRef)?.name)),
  def('ka.req.binding.subjects', true, 'subject names of a (Cluster)RoleBinding', (r) => arr(req(r)?.subjects).map(nameOf)),
  def('ka.req.binding.subject_refs', true, '(KubeSift) subjects of a (Cluster)RoleBinding as kind:namespace/name (kind:name without a namespace): which `default` account, and whether a subject is a group', (r) => arr(req(r)?.subjects).map(subjectRef)),
  def('ka.req.role.rules', false, 'rules of a (Cluster)Role as JSON', (r) => json(req(r)?.rules)),
  def('ka.req.role.rules.resources', true, 'resources named by a (Cluster)Role', ruleItems('resources')),
  def('ka.req.role.rules.verbs', true, 'verbs named by a (Cluster)Role', ruleItems('verbs')),
  def('ka.req.uninspected', false, '(KubeSift) why the request object cannot be inspected: "truncated" (the record was cut), or the text AKS put in its place; absent when it is there or the audit level logs none', uninspected),
  def('ka.req.ingress.tls', false, 'spec.tls of an Ingress as JSON (exists when set)', (r) => json(reqSpec(r)?.tls)),
] as const satisfies readonly FieldDef[];

export type FieldName = (typeof FIELDS)[number]['name'];

export const FIELD_NAMES: readonly FieldName[] = FIELDS.map((f) => f.name);
export const FIELD_INDEX: ReadonlyMap<string, number> = new Map(FIELDS.map((f, i) => [f.name, i]));

export function isFieldName(s: string): s is FieldName {
  return FIELD_INDEX.has(s);
}
