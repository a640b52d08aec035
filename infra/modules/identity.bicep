// User-assigned managed identities.
//   app     — the Function App runs as this identity: host storage, Event Hubs triggers,
//             Blob/Queue data, Application Insights (Entra auth) and ADX ingestion.
//   capture — Event Hubs Capture writes Avro files to the capture container as this
//             identity (created only when Capture is enabled); it gets nothing else.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Function App identity.')
param appIdentityName string

@description('Name of the Event Hubs Capture identity.')
param captureIdentityName string

@description('Create the Capture identity.')
param enableCapture bool

resource app 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: appIdentityName
  location: location
  tags: tags
}

resource capture 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = if (enableCapture) {
  name: captureIdentityName
  location: location
  tags: tags
}

output appIdentityId string = app.id
output appPrincipalId string = app.properties.principalId
output appClientId string = app.properties.clientId
output captureIdentityId string = enableCapture ? capture.id : ''
output capturePrincipalId string = enableCapture ? capture.properties.principalId : ''
