// Analysis queries shipped with KubeSift, as data. Each becomes a stored function
// (`.create-or-alter function`) so users call `FailedLoginsByHost(7d)` instead of pasting
// KQL, and the language-service test checks every body against the rendered schema.

export interface StoredFunction {
  readonly name: string;
  readonly folder: string;
  readonly docstring: string;
  /** Parameter list with parentheses. */
  readonly parameters: string;
  /** Body without the surrounding braces. */
  readonly body: string;
}

const fn = (name: string, docstring: string, parameters: string, body: string): StoredFunction => ({
  name,
  folder: 'KubeSift/Analysis',
  docstring,
  parameters,
  body: body.trim(),
});

/**
 * One audited request, counted once: a client can choose its Audit-ID (a reused one would
 * count many requests as one), and the same event can be in the table twice (kube-audit and
 * kube-audit-admin copies in different batches, a batch landed again after a rebalance).
 */
const REQUEST_IDENTITY = "strcat(AuditId, '|', tostring(RequestReceivedTime), '|', Verb, '|', RequestUri)";

export const ANALYSIS_QUERIES: readonly StoredFunction[] = [
  fn(
    'FailedLoginsByHost',
    'Failed logins per host over syslog (sshd) and Windows Security (4625), with the address that tried most',
    '(lookback:timespan = 1d)',
    `
let failures = union
    (SyslogLogs
    | where TimeGenerated > ago(lookback)
    // One count per credential tried. sshd writes "Failed <method> for …" once per try (the
    // "Invalid user …" and pam_unix "authentication failure" lines of that try would count it
    // again), except "Failed none", the client's probe for the methods on offer (once a
    // connection). rsyslog folds a connection's identical tries into one "message repeated N
    // times: [ Failed … ]" line, which stands for N more.
    | where ProcessName == 'sshd'
    | extend Attempts = case(SyslogMessage startswith 'Failed ' and not(SyslogMessage startswith 'Failed none ') and SyslogMessage has ' for ', 1,
        SyslogMessage startswith 'message repeated ', tolong(extract(@'^message repeated (\\d+) times: \\[ Failed .* for ', 1, SyslogMessage)),
        0)
    | where Attempts > 0
    | project TimeGenerated, Host = HostName, Account = UserName, SourceIp = SrcIp, Source = 'syslog', Attempts),
    (WindowsSecurityLogs
    | where TimeGenerated > ago(lookback)
    | where EventID == 4625
    | project TimeGenerated, Host = Computer, Account = TargetUserName, SourceIp = IpAddress, Source = 'windows', Attempts = 1);
failures
| summarize Failures = sum(Attempts), Accounts = dcount(Account), SourceIps = make_set(SourceIp, 20), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by Host, Source
// A guesser is many tries from one address; everyday typos and internet scanners are a few
// each from many, and over a long lookback they add up per host to as many as an attack.
| join kind=inner (failures
    | summarize Tries = sum(Attempts) by Host, Source, SourceIp
    | summarize arg_max(Tries, SourceIp) by Host, Source
    | project Host, Source, TopSourceIp = SourceIp, TopSourceFailures = Tries) on Host, Source
| project-away Host1, Source1
| order by TopSourceFailures desc, Failures desc`,
  ),
  fn(
    'PortScanSources',
    'Sources that touched many distinct destination ports (CEF firewall)',
    '(lookback:timespan = 1d, minPorts:long = 20)',
    `
CEFFirewallLogs
| where TimeGenerated > ago(lookback)
| summarize Ports = dcount(DestinationPort), Targets = dcount(DestinationIP), Denied = countif(DeviceAction in~ ('deny', 'drop', 'block')), Events = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by SourceIP
| where Ports >= minPorts
| order by Ports desc`,
  ),
  fn(
    'PrivilegedPodCreations',
    'Pods created privileged, with host namespaces, or with host paths (AksAudit)',
    '(lookback:timespan = 1d)',
    `
AksAudit
| where TimeGenerated > ago(lookback)
| where Verb == 'create' and Resource == 'pods' and Subresource == '' and Stage == 'ResponseComplete'
| extend Spec = RequestObject.spec
// Each list ends with a null element: mv-expand (and so mv-apply) makes no record of an empty
// array, which would drop a hostPID pod that has no volumes. The null passes no test below.
| mv-apply c = array_concat(iff(isnull(Spec.containers), dynamic([]), Spec.containers), iff(isnull(Spec.initContainers), dynamic([]), Spec.initContainers), dynamic([null])) on (
    where tobool(c.securityContext.privileged) == true
    | summarize PrivilegedContainers = make_list(tostring(c.name)), PrivilegedImages = make_list(tostring(c.image)))
| extend HostPID = tobool(Spec.hostPID), HostNetwork = tobool(Spec.hostNetwork), HostIPC = tobool(Spec.hostIPC)
| mv-apply v = array_concat(iff(isnull(Spec.volumes), dynamic([]), Spec.volumes), dynamic([null])) on (
    where isnotempty(v.hostPath)
    | summarize HostPaths = make_list(tostring(v.hostPath.path)))
| where array_length(PrivilegedContainers) > 0 or HostPID == true or HostNetwork == true or HostIPC == true or array_length(HostPaths) > 0
| project TimeGenerated, Cluster, Namespace, Name, UserName, SourceIp, ResponseCode, PrivilegedContainers, PrivilegedImages, HostPID, HostNetwork, HostIPC, HostPaths, AuditId`,
  ),
  fn(
    'ExecIntoPods',
    'kubectl exec / attach sessions (AksAudit; needs kube-audit, not only kube-audit-admin)',
    '(lookback:timespan = 1d)',
    `
AksAudit
| where TimeGenerated > ago(lookback)
| where Resource == 'pods' and Subresource in ('exec', 'attach')
| summarize Sessions = dcount(${REQUEST_IDENTITY}), LastSeen = max(TimeGenerated), Pods = make_set(strcat(Namespace, '/', Name), 50) by Cluster, UserName, SourceIp
| order by Sessions desc`,
  ),
  fn(
    'ApiAuthFailures',
    'kube-apiserver 401/403 responses per source IP and user (AksAudit)',
    '(lookback:timespan = 1h)',
    `
AksAudit
| where TimeGenerated > ago(lookback)
// A failed authentication (401) is audited once, at ResponseStarted; dcount of the request
// identity keeps a request audited at both stages one failure.
| where ResponseCode in (401, 403) and Stage in ('ResponseStarted', 'ResponseComplete')
| summarize Failures = dcount(${REQUEST_IDENTITY}), Verbs = make_set(Verb, 10), Resources = make_set(Resource, 10), LastSeen = max(TimeGenerated) by Cluster, SourceIp, UserName
| order by Failures desc`,
  ),
  fn(
    'DetectionsByPriority',
    'Detections per priority, rule and cluster, most severe first',
    '(lookback:timespan = 1d)',
    `
Detections
| where TimeGenerated > ago(lookback)
| extend Rank = case(Priority == 'EMERGENCY', 0, Priority == 'ALERT', 1, Priority == 'CRITICAL', 2, Priority == 'ERROR', 3, Priority == 'WARNING', 4, Priority == 'NOTICE', 5, Priority in ('INFORMATIONAL', 'INFO'), 6, 7)
| summarize Detections = dcount(DetectionId), Users = make_set(User, 10), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by Rank, Priority, RuleId, Rule, Cluster
| order by Rank asc, Detections desc
| project-away Rank`,
  ),
  fn(
    'PosFailedLogins',
    'Failed operator logins per store and terminal (Verifone POS)',
    '(lookback:timespan = 1d, minFailures:long = 3)',
    `
VerifonePOSLogs
| where TimeGenerated > ago(lookback)
| where EventType == 'LOGIN_FAILED'
| summarize Failures = count(), Operators = make_set(Operator, 20), LastSeen = max(TimeGenerated) by StoreId, TerminalId
| where Failures >= minFailures
| order by Failures desc`,
  ),
  fn(
    'AuditdExecByKey',
    'Program executions (execve, execveat) recorded by auditd rules, per host, rule key and executable',
    '(lookback:timespan = 1d)',
    `
AuditdLogs
| where TimeGenerated > ago(lookback)
// execve / execveat (x86_64 numbers; the table has no arch column): a keyed openat of
// /etc/shadow is an access, not an execution.
| where RecordType == 'SYSCALL' and isnotempty(Key) and Syscall in (59, 322)
| summarize Events = dcount(EventSerial), Users = make_set(Auid, 20), LastSeen = max(TimeGenerated) by Node, Key, Exe
| order by Events desc`,
  ),
  fn(
    'LandingHealth',
    'Rows landed per table and hour with ingestion latency (is data arriving?)',
    '(lookback:timespan = 1d)',
    `
union withsource = TableName AksAudit, AksControlPlane, Detections
| where ingestion_time() > ago(lookback)
| summarize Rows = count(), P95LatencySeconds = percentile((ingestion_time() - TimeGenerated) / 1s, 95) by TableName, Hour = bin(ingestion_time(), 1h)
| order by Hour desc, TableName asc`,
  ),
];
