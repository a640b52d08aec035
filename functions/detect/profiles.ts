// Built-in policy profiles as plain data. `falco` reproduces the defaults of Falco's
// k8s_audit_rules (same list contents, same switches); `aks` is falco plus what an AKS
// control plane does on its own. Sources for every AKS entry are in docs/detections.md.
import type { z } from 'zod';
import type { policySchema } from './policy.js';

export type ProfileName = 'aks' | 'falco';
type PolicyInput = z.input<typeof policySchema>;

const falcoPrivileged = [
  'falcosecurity/falco', 'docker.io/falcosecurity/falco', 'public.ecr.aws/falcosecurity/falco', 'docker.io/calico/node',
  'calico/node', 'docker.io/cloudnativelabs/kube-router', 'docker.io/docker/ucp-agent', 'docker.io/mesosphere/mesos-slave',
  'docker.io/rook/toolbox', 'docker.io/sysdig/sysdig', 'gcr.io/google_containers/kube-proxy', 'gcr.io/google-containers/startup-script',
  'gcr.io/projectcalico-org/node', 'gke.gcr.io/kube-proxy', 'gke.gcr.io/gke-metadata-server', 'gke.gcr.io/netd-amd64',
  'gke.gcr.io/watcher-daemonset', 'gcr.io/google-containers/prometheus-to-sd', 'registry.k8s.io/ip-masq-agent-amd64',
  'registry.k8s.io/kube-proxy', 'registry.k8s.io/prometheus-to-sd', 'quay.io/calico/node', 'sysdig/sysdig',
  'registry.k8s.io/dns/k8s-dns-node-cache', 'mcr.microsoft.com/oss/kubernetes/kube-proxy',
];

const falcoSensitiveMount = [
  'falcosecurity/falco', 'docker.io/falcosecurity/falco', 'public.ecr.aws/falcosecurity/falco', 'docker.io/sysdig/sysdig',
  'sysdig/sysdig', 'gcr.io/google_containers/hyperkube', 'gcr.io/google_containers/kube-proxy', 'docker.io/calico/node',
  'docker.io/rook/toolbox', 'docker.io/cloudnativelabs/kube-router', 'docker.io/consul', 'docker.io/datadog/docker-dd-agent',
  'docker.io/datadog/agent', 'docker.io/docker/ucp-agent', 'docker.io/gliderlabs/logspout', 'docker.io/netdata/netdata',
  'docker.io/google/cadvisor', 'docker.io/prom/node-exporter', 'amazon/amazon-ecs-agent', 'prom/node-exporter',
  'amazon/cloudwatch-agent',
];

const falcoHostNetwork = [
  'gcr.io/google-containers/prometheus-to-sd', 'gcr.io/projectcalico-org/typha', 'gcr.io/projectcalico-org/node',
  'gke.gcr.io/gke-metadata-server', 'gke.gcr.io/kube-proxy', 'gke.gcr.io/netd-amd64', 'registry.k8s.io/ip-masq-agent-amd64',
  'registry.k8s.io/prometheus-to-sd',
];

const falcoKubeNamespaceImages = [
  'gcr.io/google-containers/prometheus-to-sd', 'gcr.io/projectcalico-org/node', 'gke.gcr.io/addon-resizer', 'gke.gcr.io/heapster',
  'gke.gcr.io/gke-metadata-server', 'registry.k8s.io/ip-masq-agent-amd64', 'registry.k8s.io/kube-apiserver', 'gke.gcr.io/kube-proxy',
  'gke.gcr.io/netd-amd64', 'gke.gcr.io/watcher-daemonset', 'registry.k8s.io/addon-resizer', 'registry.k8s.io/prometheus-to-sd',
  'registry.k8s.io/k8s-dns-dnsmasq-nanny-amd64', 'registry.k8s.io/k8s-dns-kube-dns-amd64', 'registry.k8s.io/k8s-dns-sidecar-amd64',
  'registry.k8s.io/metrics-server-amd64', 'kope/kube-apiserver-healthcheck',
];

const falcoKnownServiceAccounts = [
  'coredns', 'coredns-autoscaler', 'cronjob-controller', 'daemon-set-controller', 'deployment-controller', 'disruption-controller',
  'endpoint-controller', 'endpointslice-controller', 'endpointslicemirroring-controller', 'generic-garbage-collector',
  'horizontal-pod-autoscaler', 'job-controller', 'namespace-controller', 'node-controller', 'persistent-volume-binder',
  'pod-garbage-collector', 'pv-protection-controller', 'pvc-protection-controller', 'replicaset-controller',
  'resourcequota-controller', 'root-ca-cert-publisher', 'service-account-controller', 'statefulset-controller',
];

export const FALCO_PROFILE: PolicyInput = {
  profile: 'falco',
  auditStages: ['ResponseComplete'],
  lists: {
    allowedUsers: [
      'minikube', 'minikube-user', 'kubelet', 'kops', 'admin', 'kube', 'kube-proxy', 'kube-apiserver-healthcheck', 'kubernetes-admin',
      'vpa-recommender', 'vpa-updater', 'cluster-autoscaler', 'system:addon-manager', 'cloud-controller-manager',
      'system:kube-controller-manager',
      // EKS's own identities (Falco keeps them in a second list the same rule consults)
      'eks:node-manager', 'eks:certificate-controller', 'eks:fargate-scheduler', 'eks:k8s-metrics', 'eks:authenticator',
      'eks:cluster-event-watcher', 'eks:nodewatcher', 'eks:pod-identity-mutating-webhook', 'eks:cloud-controller-manager',
      'eks:vpc-resource-controller', 'eks:addon-manager',
    ],
    allowedNamespaces: ['kube-system', 'kube-public', 'default'],
    fullAdminUsers: ['admin', 'kubernetes-admin', 'kubernetes-admin@kubernetes', 'kubernetes-admin@cluster.local', 'minikube-user'],
    allowedPodImages: [],
    privilegedImages: falcoPrivileged,
    sensitiveMountImages: falcoSensitiveMount,
    hostNetworkImages: falcoHostNetwork,
    hostPidImages: [],
    hostIpcImages: [],
    kubeNamespaceImages: falcoKubeNamespaceImages,
    kubeNamespaces: ['kube-system', 'kube-public'],
    knownServiceAccounts: falcoKnownServiceAccounts,
    allowedNodes: [],
    platformUsers: [],
    sensitiveHostPaths: [
      '/proc', '/var/run/docker.sock', '/', '/etc', '/root', '/var/run/crio/crio.sock', '/run/containerd/containerd.sock',
      '/home/admin', '/var/lib/kubelet', '/var/lib/kubelet/pki', '/etc/kubernetes', '/etc/kubernetes/manifests',
    ],
    credentialKeywords: ['aws_access_key_id', 'aws-access-key-id', 'aws_s3_access_key_id', 'aws-s3-access-key-id', 'password', 'passphrase'],
    systemRoleExceptions: ['system:coredns', 'system:managed-certificate-controller'],
    writableVerbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
    systemImages: [],
    systemNamespaces: ['kube-system'],
    tokenRequesters: ['system:kube-controller-manager'],
    // The controller manager's shared informers (its tokens controller among them) and the API
    // server's own loopback client (service account token lookups) watch every secret.
    secretListers: ['system:kube-controller-manager', 'system:apiserver'],
    impersonators: [],
  },
  switches: { activityRules: true, allEvents: false, restrictPodImages: false, fullAdminRule: false, restrictNodes: false, imageListsCoverInitContainers: false, objectRulesSkipSubresources: false, kubesiftRules: false },
  rules: {},
  exceptions: {},
  apiserver: {
    authFailureThreshold: 10,
    authFailureWindowSeconds: 60,
    secretReaderAgents: ['kubelet/', 'kube-controller-manager/', 'kube-scheduler/', 'hyperkube/', 'kube-apiserver/', 'cloud-controller-manager/'],
    trustedSourceIps: [],
  },
  windows: [
    { id: 'apiserver_etcd_timeouts', name: 'etcd request timeouts', kind: 'keyword', table: 'AksControlPlane', service: 'kube-apiserver', keyword: 'etcdserver: request timed out', windowSeconds: 300, threshold: 5, priority: 'WARNING', tags: ['availability'] },
    { id: 'repeated_message', name: 'Repeated identical control-plane message', kind: 'repeat', table: 'AksControlPlane', windowSeconds: 60, threshold: 50, priority: 'NOTICE', tags: ['noise'] },
    { id: 'apiserver_volume_spike', name: 'Control-plane log rate spike', kind: 'rate', table: 'AksControlPlane', binSeconds: 60, baselineBins: 10, factor: 5, minCount: 200, priority: 'NOTICE', tags: ['anomaly'] },
    { id: 'apiserver_silence', name: 'kube-apiserver went silent', kind: 'inactivity', table: 'AksControlPlane', service: 'kube-apiserver', maxSilenceSeconds: 900, priority: 'WARNING', tags: ['availability'] },
    { id: 'audit_volume_zscore', name: 'Audit volume anomaly (z-score)', kind: 'zscore', table: 'AksAudit', binSeconds: 300, minBins: 6, threshold: 4, minCount: 100, priority: 'NOTICE', tags: ['anomaly'] },
  ],
};

// AKS control-plane identities and add-ons (sources: docs/detections.md § AKS profile).
const aksUsers = ['aksService', 'masterclient', 'client', 'nodeclient'];
const aksAddonImages = [
  'mcr.microsoft.com/oss/kubernetes/kube-proxy',
  'mcr.microsoft.com/oss/kubernetes/coredns',
  'mcr.microsoft.com/oss/kubernetes/autoscaler/cluster-proportional-autoscaler',
  'mcr.microsoft.com/oss/kubernetes/metrics-server',
  'mcr.microsoft.com/oss/kubernetes/apiserver-network-proxy/agent',
  'mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager',
  'mcr.microsoft.com/oss/kubernetes/ip-masq-agent',
  'mcr.microsoft.com/aks/ip-masq-agent-v2',
  'mcr.microsoft.com/containernetworking/azure-cns',
  'mcr.microsoft.com/containernetworking/azure-npm',
  'mcr.microsoft.com/containernetworking/cni-dropgz',
  'mcr.microsoft.com/oss/cilium/cilium',
  'mcr.microsoft.com/oss/calico/node',
  // calico-node's privileged init containers (install-cni, flexvol-driver).
  'mcr.microsoft.com/oss/calico/cni',
  'mcr.microsoft.com/oss/calico/pod2daemon-flexvol',
  'mcr.microsoft.com/oss/calico/typha',
  // AKS's node images pull the v2 paths of these now (Azure/AgentBaker parts/common/components.json).
  'mcr.microsoft.com/oss/v2/kubernetes/kube-proxy',
  'mcr.microsoft.com/oss/v2/kubernetes/coredns',
  'mcr.microsoft.com/oss/v2/kubernetes/apiserver-network-proxy/agent',
  'mcr.microsoft.com/oss/v2/kubernetes/azure-cloud-node-manager',
  'mcr.microsoft.com/containernetworking/v2/azure-cns',
  'mcr.microsoft.com/oss/v2/kubernetes-csi/azuredisk-csi',
  'mcr.microsoft.com/oss/v2/kubernetes-csi/azurefile-csi',
  'mcr.microsoft.com/oss/v2/kubernetes-csi/blob-csi',
  'mcr.microsoft.com/oss/v2/kubernetes-csi/csi-node-driver-registrar',
  'mcr.microsoft.com/oss/v2/kubernetes-csi/livenessprobe',
  'mcr.microsoft.com/oss/kubernetes-csi/azuredisk-csi',
  'mcr.microsoft.com/oss/kubernetes-csi/azurefile-csi',
  'mcr.microsoft.com/oss/kubernetes-csi/blob-csi',
  'mcr.microsoft.com/oss/kubernetes-csi/csi-node-driver-registrar',
  'mcr.microsoft.com/oss/kubernetes-csi/livenessprobe',
  'mcr.microsoft.com/oss/kubernetes-csi/secrets-store/driver',
  'mcr.microsoft.com/oss/azure/secrets-store/provider-azure',
  'mcr.microsoft.com/azuremonitor/containerinsights/ciprod',
  'mcr.microsoft.com/azure-policy/policy-kubernetes-addon-prod',
  'mcr.microsoft.com/oss/open-policy-agent/gatekeeper',
];
const aksServiceAccounts = [
  'azure-cns', 'azure-ip-masq-agent', 'cloud-node-manager', 'csi-azuredisk-node-sa', 'csi-azurefile-node-sa', 'csi-blob-node-sa',
  'konnectivity-agent', 'metrics-server', 'kube-proxy', 'ama-logs', 'ama-logs-rs', 'azure-policy', 'azure-policy-webhook-account',
  'cilium', 'secrets-store-csi-driver', 'csi-secrets-store-provider-azure',
];

const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])];

const f = FALCO_PROFILE.lists;
export const AKS_PROFILE: PolicyInput = {
  ...FALCO_PROFILE,
  profile: 'aks',
  // A pod's init containers share its host namespaces, volumes and privileges: a trusted main
  // image must not vouch for an untrusted init container (docs/detections.md). The kubelet
  // requests a service-account token for every pod (serviceaccounts/token, a create): under
  // Falco's rules each was a service account "created" in kube-system. KubeSift's own rules
  // (kubesiftRules) watch the token requests of everyone else, and pod specs AKS cut.
  switches: { ...FALCO_PROFILE.switches, imageListsCoverInitContainers: true, objectRulesSkipSubresources: true, kubesiftRules: true },
  lists: {
    ...f,
    allowedUsers: union(f.allowedUsers, aksUsers),
    fullAdminUsers: union(f.fullAdminUsers, ['masterclient']),
    privilegedImages: union(f.privilegedImages, aksAddonImages),
    sensitiveMountImages: union(f.sensitiveMountImages, aksAddonImages),
    hostNetworkImages: union(f.hostNetworkImages, aksAddonImages),
    hostPidImages: union(f.hostPidImages, ['mcr.microsoft.com/azuremonitor/containerinsights/ciprod']),
    kubeNamespaceImages: union(f.kubeNamespaceImages, aksAddonImages),
    // The add-ons run in these namespaces only: anywhere else their images vouch for nothing
    // (a host-escape pod on a public add-on image, in any namespace, was trusted).
    systemImages: aksAddonImages,
    systemNamespaces: ['kube-system', 'gatekeeper-system', 'calico-system', 'tigera-operator'],
    tokenRequesters: union(f.tokenRequesters, ['aksService']),
    secretListers: union(f.secretListers, ['aksService']),
    knownServiceAccounts: union(f.knownServiceAccounts, aksServiceAccounts),
    // AKS's own control-plane identity: its create/delete housekeeping is not user activity.
    platformUsers: ['aksService', 'nodeclient'],
  },
  apiserver: {
    ...FALCO_PROFILE.apiserver,
    secretReaderAgents: union(FALCO_PROFILE.apiserver.secretReaderAgents, ['aks-', 'konnectivity-agent/', 'cloud-node-manager/', 'azure-policy/']),
  },
};

export const PROFILES: Record<ProfileName, PolicyInput> = { falco: FALCO_PROFILE, aks: AKS_PROFILE };
