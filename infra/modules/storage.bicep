// One StorageV2 account for the Functions host (AzureWebJobsStorage), the Flex Consumption
// deployment package, and KubeSift's data containers.
//
// Shared-key access is OFF: every client uses Entra ID —
//   Functions host        AzureWebJobsStorage__{blob,queue,table}ServiceUri + managed identity
//   Flex deployment       functionAppConfig.deployment.storage.authentication = UserAssignedIdentity
//   KubeSift code         KUBESIFT_STORAGE_ACCOUNT + managed identity (AZURE_CLIENT_ID)
//   Event Hubs Capture    capture identity (Storage Blob Data Contributor on the capture container only)
//   ADX ingestion         the cluster's system identity (Storage Blob Data Reader, see adx.bicep)
// Nothing in this deployment needs an account key or SAS, so none is listed or output.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('KubeSift data containers (landing, deadletter, datasets, capture, eventgrid-deadletter).')
param dataContainers array

@description('Container holding the Flex Consumption deployment package.')
param deploymentContainer string

@description('Capture container name (must be one of dataContainers).')
param captureContainer string

@description('Principal id of the Event Hubs Capture identity; empty when Capture is off.')
param capturePrincipalId string = ''

@description('Days after which blobs in the data containers move to the Cool tier (0 = never).')
param coolAfterDays int = 30

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [
  for c in union(dataContainers, [deploymentContainer]): {
    parent: blobService
    name: c
    properties: {
      publicAccess: 'None'
    }
  }
]

resource captureContainerRef 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = {
  parent: blobService
  name: captureContainer
}

// Capture writes only to its container.
resource captureWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(capturePrincipalId)) {
  name: guid(captureContainerRef.id, capturePrincipalId, storageBlobDataContributor)
  scope: captureContainerRef
  properties: {
    principalId: capturePrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    description: 'KubeSift: Event Hubs Capture writes Avro files'
  }
  dependsOn: [
    containers
  ]
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2024-01-01' = if (coolAfterDays > 0) {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'cool-old-blobs'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              // Data containers only: the deployment package is read on every cold start.
              prefixMatch: [for c in dataContainers: '${c}/']
            }
            actions: {
              baseBlob: {
                tierToCool: {
                  daysAfterModificationGreaterThan: coolAfterDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
output captureWriterRoleId string = empty(capturePrincipalId) ? '' : captureWriter.id
