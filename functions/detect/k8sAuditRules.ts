// The k8s-audit rule pack: the 48 rules of Falco's k8s_audit_rules.yaml (same names and
// priorities, same semantics) expressed as data. Each condition is a function of the
// policy so every tunable list and switch comes from configuration, never from code.
import { always, and, contains, eq, exists, intersects, isIn, not, or, startsWith, when, type Cond } from './conditions.js';
import type { FieldName } from './fields.js';
import type { Policy, PriorityName } from './policy.js';

type C = Cond<FieldName>;

export interface RuleDef {
  readonly id: string;
  readonly name: string;
  readonly priority: PriorityName;
  /** Falco's tags plus MITRE ATT&CK technique ids where one applies. */
  readonly tags: readonly string[];
  /** 'activity' rules are the ones switches.activityRules turns off. */
  readonly family: 'security' | 'activity';
  readonly output: string;
  readonly when: (p: Policy) => C;
}

// ---- macros (Falco's names, as functions of the policy) ----
const kevt = (p: Policy): C => isIn('ka.stage', p.auditStages);
const kevtStarted: C = eq('ka.stage', 'ResponseStarted');
const nonSystemUser: C = not(startsWith('ka.user.name', 'system:'));
const responseSuccessful: C = startsWith('ka.response.code', '2');
const verb = (v: string): C => eq('ka.verb', v);
const kget = verb('get');
const kcreate = verb('create');
const kdelete = verb('delete');
const kmodify: C = isIn('ka.verb', ['create', 'update', 'patch']);
const resource = (r: string): C => eq('ka.target.resource', r);
const pod: C = and(resource('pods'), not(exists('ka.target.subresource')));
/** The object itself, not a subresource of it, when the policy asks (Falco: either). */
const object = (p: Policy, r: string): C => (p.switches.objectRulesSkipSubresources ? and(resource(r), not(exists('ka.target.subresource'))) : resource(r));
const podSubresource: C = and(resource('pods'), exists('ka.target.subresource'));
const roleOrClusterRole: C = or(resource('roles'), resource('clusterroles'));
const endpoint = (path: string): C => or(eq('ka.uri', path), startsWith('ka.uri', `${path}?`));
const kactivity = (p: Policy): C =>
  and(kevt(p), when(p.switches.activityRules), not(isIn('ka.user.name', p.lists.platformUsers)));
const podCreate = (p: Policy): C => and(kevt(p), pod, kcreate);
/** Falco checks spec.containers only; switches.imageListsCoverInitContainers checks every container. */
const untrustedImages = (p: Policy, images: readonly string[]): C => {
  const field = p.switches.imageListsCoverInitContainers ? 'ka.req.pod.all_containers.image.repository' : 'ka.req.pod.containers.image.repository';
  // lists.systemImages vouch only in lists.systemNamespaces; elsewhere only the rest of the list does.
  const scoped = new Set(p.lists.systemImages);
  const everywhere = images.filter((i) => !scoped.has(i));
  if (everywhere.length === images.length) return not(isIn(field, images));
  return and(not(isIn(field, everywhere)), or(not(isIn('ka.target.namespace', p.lists.systemNamespaces)), not(isIn(field, images))));
};
const anyContainerPrivileged: C = or(
  intersects('ka.req.pod.containers.privileged', ['true']),
  intersects('ka.req.pod.initContainers.privileged', ['true']),
  intersects('ka.req.pod.ephemeralContainers.privileged', ['true']),
);

const ACTIVITY_OUT = 'resp=%ka.response.code decision=%ka.auth.decision reason=%ka.auth.reason';
/** What a created role or binding grants, as Falco's outputs print it. */
const CREATED_OUT: Record<string, string> = {
  role: ' rules=%ka.req.role.rules',
  binding: ' subjects=%ka.req.binding.subject_refs role=%ka.req.binding.role',
};

/** One INFO activity rule: verb on a resource, successful, with optional extra conditions. */
function activity(id: string, name: string, v: 'create' | 'delete', res: string, label: string, extra: (p: Policy) => C = () => always, tags: string[] = []): RuleDef {
  const ns = res === 'namespaces' || res.startsWith('cluster') ? '' : ' ns=%ka.target.namespace';
  const what = v === 'create' ? (CREATED_OUT[label] ?? '') : '';
  return {
    id, name, priority: 'INFO', tags: ['k8s', ...tags], family: 'activity',
    output: `${label} ${v}d (user=%ka.user.name ${label}=%ka.target.name${ns} resource=%ka.target.resource${what} ${ACTIVITY_OUT})`,
    when: (p) => and(kactivity(p), verb(v), object(p, res), responseSuccessful, extra(p)),
  };
}

const secretNotKubeSystem = (): C => and(not(eq('ka.target.namespace', 'kube-system')), nonSystemUser);

export const K8S_AUDIT_RULES: readonly RuleDef[] = [
  {
    id: 'k8s_disallowed_user', name: 'Disallowed K8s User', priority: 'WARNING', tags: ['k8s', 'T1078'], family: 'security',
    output: 'Request by a user outside the allowed list (user=%ka.user.name target=%ka.target.name/%ka.target.resource verb=%ka.verb uri=%ka.uri resp=%ka.response.code)',
    // exists: a record cut before its user (kubesift_request_uninspected) names no one to disallow.
    when: (p) => and(kevt(p), exists('ka.user.name'), nonSystemUser, not(isIn('ka.user.name', p.lists.allowedUsers))),
  },
  {
    id: 'k8s_disallowed_pod', name: 'Create Disallowed Pod', priority: 'WARNING', tags: ['k8s', 'T1610'], family: 'security',
    output: 'Pod with an image outside the allowed list (user=%ka.user.name pod=%ka.resp.name ns=%ka.target.namespace images=%ka.req.pod.containers.image init_images=%ka.req.pod.initContainers.image)',
    when: (p) => and(podCreate(p), when(p.switches.restrictPodImages), untrustedImages(p, p.lists.allowedPodImages)),
  },
  {
    id: 'k8s_privileged_pod', name: 'Create Privileged Pod', priority: 'WARNING', tags: ['k8s', 'T1610', 'T1611'], family: 'security',
    output: 'Pod with a privileged container (user=%ka.user.name pod=%ka.resp.name resource=%ka.target.resource ns=%ka.target.namespace images=%ka.req.pod.containers.image init_images=%ka.req.pod.initContainers.image ephemeral_images=%ka.req.pod.ephemeralContainers.image)',
    when: (p) => and(podCreate(p), anyContainerPrivileged, untrustedImages(p, p.lists.privilegedImages)),
  },
  {
    id: 'k8s_sensitive_mount_pod', name: 'Create Sensitive Mount Pod', priority: 'WARNING', tags: ['k8s', 'T1611'], family: 'security',
    output: 'Pod mounting a sensitive host path (user=%ka.user.name pod=%ka.resp.name ns=%ka.target.namespace resource=%ka.target.resource images=%ka.req.pod.containers.image init_images=%ka.req.pod.initContainers.image hostpaths=%ka.req.pod.volumes.hostpath)',
    when: (p) => and(podCreate(p), intersects('ka.req.pod.volumes.hostpath', p.lists.sensitiveHostPaths), untrustedImages(p, p.lists.sensitiveMountImages)),
  },
  {
    id: 'k8s_hostnetwork_pod', name: 'Create HostNetwork Pod', priority: 'WARNING', tags: ['k8s', 'T1611'], family: 'security',
    output: 'Pod on the host network (user=%ka.user.name pod=%ka.resp.name resource=%ka.target.resource ns=%ka.target.namespace images=%ka.req.pod.containers.image init_images=%ka.req.pod.initContainers.image)',
    when: (p) => and(podCreate(p), intersects('ka.req.pod.host_network', ['true']), untrustedImages(p, p.lists.hostNetworkImages)),
  },
  {
    id: 'k8s_hostpid_pod', name: 'Create HostPid Pod', priority: 'WARNING', tags: ['k8s', 'T1611'], family: 'security',
    output: 'Pod in the host PID namespace (user=%ka.user.name pod=%ka.resp.name resource=%ka.target.resource ns=%ka.target.namespace images=%ka.req.pod.containers.image init_images=%ka.req.pod.initContainers.image)',
    when: (p) => and(podCreate(p), intersects('ka.req.pod.host_pid', ['true']), untrustedImages(p, p.lists.hostPidImages)),
  },
  {
    id: 'k8s_hostipc_pod', name: 'Create HostIPC Pod', priority: 'WARNING', tags: ['k8s', 'T1611'], family: 'security',
    output: 'Pod in the host IPC namespace (user=%ka.user.name pod=%ka.resp.name resource=%ka.target.resource ns=%ka.target.namespace images=%ka.req.pod.containers.image init_images=%ka.req.pod.initContainers.image)',
    when: (p) => and(podCreate(p), intersects('ka.req.pod.host_ipc', ['true']), untrustedImages(p, p.lists.hostIpcImages)),
  },
  {
    id: 'k8s_nodeport_service', name: 'Create NodePort Service', priority: 'WARNING', tags: ['k8s', 'T1133'], family: 'security',
    output: 'NodePort service created (user=%ka.user.name service=%ka.target.name resource=%ka.target.resource ns=%ka.target.namespace ports=%ka.req.service.ports)',
    when: (p) => and(kevt(p), object(p, 'services'), kcreate, eq('ka.req.service.type', 'NodePort')),
  },
  {
    // Falco's output adds config=%ka.req.configmap.obj: that would copy the credential itself
    // into the Detections table (and every alert sink). The configmap's name points to it.
    id: 'k8s_configmap_credentials', name: 'Create/Modify Configmap With Private Credentials', priority: 'WARNING', tags: ['k8s', 'T1552.007'], family: 'security',
    output: 'ConfigMap holding what looks like a private credential (user=%ka.user.name verb=%ka.verb resource=%ka.target.resource configmap=%ka.req.configmap.name ns=%ka.target.namespace)',
    when: (p) => and(kevt(p), resource('configmaps'), kmodify, contains('ka.req.configmap.obj', p.lists.credentialKeywords)),
  },
  {
    id: 'k8s_anonymous_allowed', name: 'Anonymous Request Allowed', priority: 'WARNING', tags: ['k8s', 'T1078.001'], family: 'security',
    output: 'Anonymous request allowed (user=%ka.user.name verb=%ka.verb uri=%ka.uri reason=%ka.auth.reason)',
    when: (p) => and(kevt(p), eq('ka.user.name', 'system:anonymous'), eq('ka.auth.decision', 'allow'), not(endpoint('/healthz')), not(endpoint('/livez')), not(endpoint('/readyz'))),
  },
  {
    // Exec over WebSocket is logged as `get`, so both verbs count; the stream starts at ResponseStarted.
    id: 'k8s_attach_exec_pod', name: 'Attach/Exec Pod', priority: 'NOTICE', tags: ['k8s', 'T1609'], family: 'security',
    output: 'Attach/exec into a pod (user=%ka.user.name pod=%ka.target.name resource=%ka.target.resource ns=%ka.target.namespace action=%ka.target.subresource command=%ka.uri.param.command)',
    when: () => and(kevtStarted, podSubresource, or(kcreate, kget), isIn('ka.target.subresource', ['exec', 'attach'])),
  },
  {
    // No stage gate, as in Falco: every stage of a port-forward request is reported.
    id: 'k8s_port_forward', name: 'port-forward', priority: 'NOTICE', tags: ['k8s', 'T1572'], family: 'security',
    output: 'Port-forward to a pod (user=%ka.user.name pod=%ka.target.name ns=%ka.target.namespace action=%ka.target.subresource stage=%ka.stage)',
    when: () => isIn('ka.target.subresource', ['portforward']),
  },
  {
    id: 'k8s_ephemeral_container', name: 'EphemeralContainers Created', priority: 'NOTICE', tags: ['k8s', 'T1609', 'T1610'], family: 'security',
    output: 'Ephemeral container added to a pod (user=%ka.user.name pod=%ka.target.name resource=%ka.target.resource ns=%ka.target.namespace ephemeral_container_name=%ka.req.ephemeral.name ephemeral_container_image=%ka.req.ephemeral.image)',
    when: (p) => and(kevt(p), podSubresource, kmodify, isIn('ka.target.subresource', ['ephemeralcontainers'])),
  },
  {
    id: 'k8s_disallowed_namespace', name: 'Create Disallowed Namespace', priority: 'WARNING', tags: ['k8s'], family: 'security',
    output: 'Namespace outside the allowed list created (user=%ka.user.name ns=%ka.target.name resource=%ka.target.resource)',
    when: (p) => and(kevt(p), object(p, 'namespaces'), kcreate, not(isIn('ka.target.name', p.lists.allowedNamespaces))),
  },
  {
    id: 'k8s_pod_in_kube_namespace', name: 'Pod Created in Kube Namespace', priority: 'WARNING', tags: ['k8s', 'T1610'], family: 'security',
    output: 'Pod created in a kube namespace (user=%ka.user.name pod=%ka.resp.name resource=%ka.target.resource ns=%ka.target.namespace images=%ka.req.pod.containers.image init_images=%ka.req.pod.initContainers.image)',
    when: (p) => and(podCreate(p), isIn('ka.target.namespace', p.lists.kubeNamespaces), untrustedImages(p, p.lists.kubeNamespaceImages)),
  },
  {
    id: 'k8s_sa_in_kube_namespace', name: 'Service Account Created in Kube Namespace', priority: 'WARNING', tags: ['k8s', 'T1136'], family: 'security',
    output: 'Service account created in a kube namespace (user=%ka.user.name serviceaccount=%ka.target.name resource=%ka.target.resource ns=%ka.target.namespace)',
    when: (p) => and(kevt(p), object(p, 'serviceaccounts'), kcreate, isIn('ka.target.namespace', p.lists.kubeNamespaces), responseSuccessful, not(isIn('ka.target.name', p.lists.knownServiceAccounts))),
  },
  {
    id: 'k8s_system_clusterrole_modified', name: 'System ClusterRole Modified/Deleted', priority: 'WARNING', tags: ['k8s', 'T1098'], family: 'security',
    output: 'System role modified or deleted (user=%ka.user.name role=%ka.target.name resource=%ka.target.resource ns=%ka.target.namespace action=%ka.verb)',
    when: (p) => and(kevt(p), roleOrClusterRole, or(kmodify, kdelete), startsWith('ka.target.name', 'system:'), not(isIn('ka.target.name', p.lists.systemRoleExceptions))),
  },
  {
    id: 'k8s_attach_cluster_admin', name: 'Attach to cluster-admin Role', priority: 'WARNING', tags: ['k8s', 'T1098'], family: 'security',
    output: 'ClusterRoleBinding to cluster-admin (user=%ka.user.name binding=%ka.target.name subjects=%ka.req.binding.subject_refs)',
    when: (p) => and(kevt(p), resource('clusterrolebindings'), kcreate, eq('ka.req.binding.role', 'cluster-admin')),
  },
  {
    id: 'k8s_clusterrole_wildcard', name: 'ClusterRole With Wildcard Created', priority: 'WARNING', tags: ['k8s', 'T1098'], family: 'security',
    output: 'Role with a wildcard created (user=%ka.user.name role=%ka.target.name resource=%ka.target.resource rules=%ka.req.role.rules)',
    when: (p) => and(kevt(p), roleOrClusterRole, kcreate, or(intersects('ka.req.role.rules.resources', ['*']), intersects('ka.req.role.rules.verbs', ['*']))),
  },
  {
    id: 'k8s_clusterrole_write', name: 'ClusterRole With Write Privileges Created', priority: 'NOTICE', tags: ['k8s', 'T1098'], family: 'security',
    output: 'Role with write verbs created (user=%ka.user.name role=%ka.target.name resource=%ka.target.resource rules=%ka.req.role.rules)',
    when: (p) => and(kevt(p), roleOrClusterRole, kcreate, intersects('ka.req.role.rules.verbs', p.lists.writableVerbs)),
  },
  {
    id: 'k8s_clusterrole_pod_exec', name: 'ClusterRole With Pod Exec Created', priority: 'WARNING', tags: ['k8s', 'T1098', 'T1609'], family: 'security',
    output: 'Role allowing pods/exec created (user=%ka.user.name role=%ka.target.name resource=%ka.target.resource rules=%ka.req.role.rules)',
    when: (p) => and(kevt(p), roleOrClusterRole, kcreate, intersects('ka.req.role.rules.resources', ['pods/exec'])),
  },
  activity('k8s_deployment_created', 'K8s Deployment Created', 'create', 'deployments', 'deployment'),
  activity('k8s_deployment_deleted', 'K8s Deployment Deleted', 'delete', 'deployments', 'deployment', undefined, ['T1485']),
  activity('k8s_service_created', 'K8s Service Created', 'create', 'services', 'service'),
  activity('k8s_service_deleted', 'K8s Service Deleted', 'delete', 'services', 'service'),
  activity('k8s_configmap_created', 'K8s ConfigMap Created', 'create', 'configmaps', 'configmap'),
  activity('k8s_configmap_deleted', 'K8s ConfigMap Deleted', 'delete', 'configmaps', 'configmap'),
  activity('k8s_namespace_created', 'K8s Namespace Created', 'create', 'namespaces', 'namespace'),
  activity('k8s_namespace_deleted', 'K8s Namespace Deleted', 'delete', 'namespaces', 'namespace', () => nonSystemUser, ['T1485']),
  activity('k8s_serviceaccount_created', 'K8s Serviceaccount Created', 'create', 'serviceaccounts', 'serviceaccount', undefined, ['T1136']),
  activity('k8s_serviceaccount_deleted', 'K8s Serviceaccount Deleted', 'delete', 'serviceaccounts', 'serviceaccount', undefined, ['T1531']),
  activity('k8s_role_created', 'K8s Role Created', 'create', 'roles', 'role'),
  activity('k8s_role_deleted', 'K8s Role Deleted', 'delete', 'roles', 'role'),
  activity('k8s_clusterrole_created', 'K8s ClusterRole Created', 'create', 'clusterroles', 'role'),
  activity('k8s_clusterrole_deleted', 'K8s ClusterRole Deleted', 'delete', 'clusterroles', 'role'),
  activity('k8s_rolebinding_created', 'K8s RoleBinding Created', 'create', 'rolebindings', 'binding', undefined, ['T1098']),
  activity('k8s_rolebinding_deleted', 'K8s RoleBinding Deleted', 'delete', 'rolebindings', 'binding'),
  activity('k8s_clusterrolebinding_created', 'K8s ClusterRoleBinding Created', 'create', 'clusterrolebindings', 'binding', undefined, ['T1098']),
  activity('k8s_clusterrolebinding_deleted', 'K8s ClusterRoleBinding Deleted', 'delete', 'clusterrolebindings', 'binding'),
  activity('k8s_secret_created', 'K8s Secret Created', 'create', 'secrets', 'secret', secretNotKubeSystem),
  activity('k8s_secret_deleted', 'K8s Secret Deleted', 'delete', 'secrets', 'secret', secretNotKubeSystem, ['T1485']),
  {
    id: 'k8s_secret_get_success', name: 'K8s Secret Get Successfully', priority: 'ERROR', tags: ['k8s', 'T1552.007'], family: 'activity',
    output: `secret read (user=%ka.user.name secret=%ka.target.name ns=%ka.target.namespace resource=%ka.target.resource ${ACTIVITY_OUT})`,
    when: (p) => and(resource('secrets'), kget, kactivity(p), responseSuccessful),
  },
  {
    id: 'k8s_secret_get_failure', name: 'K8s Secret Get Unsuccessfully Tried', priority: 'WARNING', tags: ['k8s', 'T1552.007'], family: 'activity',
    output: `secret read refused (user=%ka.user.name secret=%ka.target.name ns=%ka.target.namespace resource=%ka.target.resource ${ACTIVITY_OUT})`,
    when: (p) => and(resource('secrets'), kget, kactivity(p), not(responseSuccessful)),
  },
  {
    id: 'k8s_all_events', name: 'All K8s Audit Events', priority: 'DEBUG', tags: ['k8s'], family: 'security',
    output: 'Audit event (user=%ka.user.name verb=%ka.verb uri=%ka.uri resp=%ka.response.code)',
    when: (p) => and(kevt(p), when(p.switches.allEvents)),
  },
  {
    id: 'k8s_full_admin_access', name: 'Full K8s Administrative Access', priority: 'WARNING', tags: ['k8s', 'T1078'], family: 'security',
    output: 'Request by a default full-admin user (user=%ka.user.name target=%ka.target.name/%ka.target.resource verb=%ka.verb uri=%ka.uri resp=%ka.response.code)',
    when: (p) => and(kevt(p), nonSystemUser, isIn('ka.user.name', p.lists.fullAdminUsers), when(p.switches.fullAdminRule)),
  },
  {
    id: 'k8s_ingress_without_tls', name: 'Ingress Object without TLS Certificate Created', priority: 'WARNING', tags: ['k8s', 'network', 'T1040'], family: 'activity',
    output: 'Ingress without TLS created (user=%ka.user.name ingress=%ka.target.name namespace=%ka.target.namespace resource=%ka.target.resource)',
    when: (p) => and(kactivity(p), kcreate, resource('ingresses'), responseSuccessful, not(exists('ka.req.ingress.tls'))),
  },
  {
    id: 'k8s_untrusted_node_joined', name: 'Untrusted Node Successfully Joined the Cluster', priority: 'ERROR', tags: ['k8s', 'T1078'], family: 'security',
    output: 'Node outside the allowed list joined the cluster (user=%ka.user.name node=%ka.target.name resource=%ka.target.resource)',
    when: (p) => and(kevt(p), object(p, 'nodes'), kcreate, responseSuccessful, when(p.switches.restrictNodes), not(isIn('ka.target.name', p.lists.allowedNodes))),
  },
  {
    id: 'k8s_untrusted_node_rejected', name: 'Untrusted Node Unsuccessfully Tried to Join the Cluster', priority: 'WARNING', tags: ['k8s', 'T1078'], family: 'security',
    output: 'Node outside the allowed list failed to join the cluster (user=%ka.user.name node=%ka.target.name reason=%ka.response.reason resource=%ka.target.resource)',
    when: (p) => and(kevt(p), object(p, 'nodes'), kcreate, not(responseSuccessful), when(p.switches.restrictNodes), not(isIn('ka.target.name', p.lists.allowedNodes))),
  },
];

/**
 * Rules KubeSift adds to Falco's pack, for what Falco cannot see or lets pass on AKS. Their
 * ids start with `kubesift_`; switches.kubesiftRules turns them on (aks) or off (falco: Falco's
 * 48 rules alone). They run in the same engine, with the same fields, settings and exceptions.
 */
export const KUBESIFT_AUDIT_RULES: readonly RuleDef[] = [
  {
    // objectRulesSkipSubresources keeps the kubelet's token requests out of the service
    // account rules; a token minted for a kube-system account by anyone else is credential access.
    id: 'kubesift_sa_token_kube_namespace', name: 'Service Account Token Requested in Kube Namespace', priority: 'WARNING', tags: ['k8s', 'T1528'], family: 'security',
    output: 'Token requested for a kube namespace service account (user=%ka.user.name serviceaccount=%ka.target.name ns=%ka.target.namespace sourceip=%ka.sourceip useragent=%ka.useragent resp=%ka.response.code)',
    when: (p) =>
      and(kevt(p), when(p.switches.kubesiftRules), resource('serviceaccounts'), eq('ka.target.subresource', 'token'), kcreate, isIn('ka.target.namespace', p.lists.kubeNamespaces), responseSuccessful,
        not(startsWith('ka.user.name', 'system:node:')), not(isIn('ka.user.name', p.lists.tokenRequesters))),
  },
  {
    // A pod spec past AKS's 16 KiB record cut (or replaced by 'skipped-too-big-size-object')
    // reaches no pod rule: padding a spec with an annotation hides a privileged pod from all of them.
    id: 'kubesift_pod_spec_uninspected', name: 'Pod Created With an Uninspected Spec', priority: 'NOTICE', tags: ['k8s', 'T1610', 'T1562'], family: 'security',
    output: 'Pod created whose spec the audit event did not carry whole: the pod rules could not check it (user=%ka.user.name pod=%ka.target.name ns=%ka.target.namespace why=%ka.req.uninspected sourceip=%ka.sourceip useragent=%ka.useragent)',
    when: (p) => and(podCreate(p), when(p.switches.kubesiftRules), exists('ka.req.uninspected')),
  },
  {
    // AKS cuts a record at 16 KiB. Past a URI or an Audit-ID header that long (a query padded,
    // a long inline `kubectl exec -- sh -c '…'`), the cut takes the verb, user and object: no
    // other rule can match the request, whatever it did. Salvage keeps the head of the string
    // it cut; a cut inside the Audit-ID takes the stage too, so a missing stage counts.
    id: 'kubesift_request_uninspected', name: 'Request Cut Before It Could Be Inspected', priority: 'NOTICE', tags: ['k8s', 'T1562'], family: 'security',
    output: 'Audit event cut before its verb: no rule could see its verb, user or object (uri=%ka.uri stage=%ka.stage auditid=%ka.auditid)',
    when: (p) => and(or(kevt(p), not(exists('ka.stage'))), when(p.switches.kubesiftRules), eq('ka.req.uninspected', 'truncated'), not(exists('ka.verb'))),
  },
  {
    // Falco's pod rules look at pod creates only, and its EphemeralContainers rule does not
    // look inside: `kubectl debug --profile=sysadmin` adds a privileged container to a running
    // pod through the subresource, a privileged pod in all but name.
    id: 'kubesift_privileged_ephemeral_container', name: 'Privileged Ephemeral Container Added', priority: 'WARNING', tags: ['k8s', 'T1609', 'T1611'], family: 'security',
    output: 'Privileged ephemeral container added to a running pod (user=%ka.user.name pod=%ka.target.name ns=%ka.target.namespace ephemeral_container_name=%ka.req.ephemeral.name ephemeral_container_image=%ka.req.ephemeral.image sourceip=%ka.sourceip useragent=%ka.useragent resp=%ka.response.code)',
    when: (p) => and(kevt(p), when(p.switches.kubesiftRules), podSubresource, kmodify, isIn('ka.target.subresource', ['ephemeralcontainers']), intersects('ka.req.ephemeral.privileged', ['true']), responseSuccessful),
  },
  {
    // Falco's secret rules watch `get` only, yet one list answers with every secret's data. A
    // namespaced list is everyday tooling (Helm keeps releases as secrets); every namespace's
    // secrets at once is what a controller that manages them asks for (lists.secretListers), or a thief.
    id: 'kubesift_secrets_listed_all_namespaces', name: 'Secrets Listed Across All Namespaces', priority: 'WARNING', tags: ['k8s', 'T1552.007'], family: 'security',
    output: "Every namespace's secrets listed (user=%ka.user.name verb=%ka.verb uri=%ka.uri sourceip=%ka.sourceip useragent=%ka.useragent resp=%ka.response.code)",
    when: (p) =>
      and(kevt(p), when(p.switches.kubesiftRules), object(p, 'secrets'), isIn('ka.verb', ['list', 'watch']), not(exists('ka.target.namespace')), responseSuccessful,
        not(isIn('ka.user.name', p.lists.secretListers))),
  },
  {
    // Falco's pack has no impersonation rule. `kubectl --as` (the Impersonate-User header)
    // acts with another identity's rights: a way up for whoever holds the impersonate verb.
    id: 'kubesift_impersonation', name: 'Request Made While Impersonating Another User', priority: 'NOTICE', tags: ['k8s', 'T1078'], family: 'security',
    output: 'Request made as another user (user=%ka.user.name impersonated=%ka.impuser.name verb=%ka.verb uri=%ka.uri sourceip=%ka.sourceip useragent=%ka.useragent resp=%ka.response.code)',
    when: (p) => and(kevt(p), when(p.switches.kubesiftRules), exists('ka.impuser.name'), responseSuccessful, not(isIn('ka.user.name', p.lists.impersonators))),
  },
];

/** Every rule the k8s-audit engine runs: Falco's pack, then KubeSift's. */
export const AUDIT_RULES: readonly RuleDef[] = [...K8S_AUDIT_RULES, ...KUBESIFT_AUDIT_RULES];
