// Diagnostic setting on an existing AKS cluster that streams control-plane log categories
// to the KubeSift `aks-diagnostics` hub. Deploy at the cluster's resource group
// (main.bicep does). The namespace must be in the cluster's region.
//
// Categories (see docs/deploy.md for the cost trade-off):
//   kube-audit-admin  audit events without get/list/watch — the default, a fraction of the volume
//   kube-audit        every audit event incl. get/list/watch: needed to see secret reads and
//                     `kubectl exec` over WebSocket (logged as `get`); typically most of the volume.
//                     A superset of kube-audit-admin: choose one, not both.
//   kube-apiserver    API server logs (klog / request lines)
//   guard             Entra ID / Azure RBAC authorization decisions (clusters with AAD integration)

@description('Name of the existing AKS cluster (in this resource group).')
param aksClusterName string

@description('Resource id of the Event Hubs namespace authorization rule diagnostic settings use.')
param eventHubAuthorizationRuleId string

@description('Hub to stream to.')
param eventHubName string

@description('Log categories to stream.')
@allowed([
  'kube-audit'
  'kube-audit-admin'
  'kube-apiserver'
  'guard'
  'kube-controller-manager'
  'kube-scheduler'
  'cluster-autoscaler'
  'cloud-controller-manager'
  'csi-azuredisk-controller'
  'csi-azurefile-controller'
  'csi-snapshot-controller'
])
param categories array = [
  'kube-audit-admin'
  'kube-apiserver'
  'guard'
]

@description('Name of the diagnostic setting.')
param settingName string = 'kubesift'

resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: aksClusterName
}

// Microsoft.Insights/diagnosticSettings has no stable (non-preview) API version newer
// than 2016; 2021-05-01-preview is the version Azure Monitor documents for templates.
resource setting 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: aks
  properties: {
    eventHubAuthorizationRuleId: eventHubAuthorizationRuleId
    eventHubName: eventHubName
    logs: [
      for c in categories: {
        category: c
        enabled: true
      }
    ]
  }
}

output settingId string = setting.id
output categories array = categories
