import { columns, type Column, type RowOf } from './columns.js';

// Column tables of the synthetic dataset tables. Column names follow the Microsoft
// Sentinel tables where one exists (Syslog, CommonSecurityLog, SecurityEvent) so KQL
// written for Sentinel carries over. Every table starts with TimeGenerated (ISO-8601 UTC)
// and RecordId (1-based position of the record in its dataset: the key the labels file uses).

export const SyslogColumns = columns([
  { name: 'TimeGenerated', type: 'datetime', doc: 'event time (UTC)' },
  { name: 'RecordId', type: 'long', doc: '1-based record number in the dataset (labels refer to it)' },
  { name: 'Format', type: 'string', doc: 'rfc3164 or rfc5424' },
  { name: 'Facility', type: 'string', doc: 'facility keyword (auth, authpriv, daemon, cron, kern, ...)' },
  { name: 'FacilityCode', type: 'int', doc: 'facility number 0-23' },
  { name: 'SeverityLevel', type: 'string', doc: 'severity keyword (emerg ... debug)' },
  { name: 'SeverityCode', type: 'int', doc: 'severity number 0-7' },
  { name: 'HostName', type: 'string', doc: 'HOSTNAME field' },
  { name: 'ProcessName', type: 'string', doc: 'APP-NAME / TAG (sshd, sudo, CRON, ...)' },
  { name: 'ProcessID', type: 'int', doc: 'PROCID' },
  { name: 'MsgId', type: 'string', doc: 'RFC 5424 MSGID (empty when NILVALUE)' },
  { name: 'StructuredData', type: 'dynamic', doc: 'RFC 5424 STRUCTURED-DATA as {sdId: {param: value}}' },
  { name: 'SyslogMessage', type: 'string', doc: 'MSG part' },
  { name: 'SrcIp', type: 'string', doc: 'remote address named in the message (sshd), else empty' },
  { name: 'UserName', type: 'string', doc: 'user named in the message (sshd, sudo), else empty' },
] as const);

export const AuditdColumns = columns([
  { name: 'TimeGenerated', type: 'datetime', doc: 'audit event time (UTC, ms precision as in audit(ts:serial))' },
  { name: 'RecordId', type: 'long', doc: '1-based record (line) number in the dataset' },
  { name: 'Node', type: 'string', doc: 'node= prefix (host name)' },
  { name: 'RecordType', type: 'string', doc: 'type= (SYSCALL, EXECVE, CWD, PATH, PROCTITLE, USER_AUTH, ...)' },
  { name: 'EventSerial', type: 'long', doc: 'serial of audit(ts:serial); records of one event share it' },
  { name: 'Syscall', type: 'int', doc: 'syscall number (SYSCALL records)' },
  { name: 'Success', type: 'string', doc: 'yes/no (SYSCALL) or res= of user records' },
  { name: 'Exit', type: 'long', doc: 'exit= (SYSCALL)' },
  { name: 'Pid', type: 'int', doc: 'pid=' },
  { name: 'Ppid', type: 'int', doc: 'ppid=' },
  { name: 'Uid', type: 'int', doc: 'uid=' },
  { name: 'Auid', type: 'long', doc: 'auid= (4294967295 = unset)' },
  { name: 'Ses', type: 'long', doc: 'ses= (4294967295 = unset)' },
  { name: 'Comm', type: 'string', doc: 'comm= (decoded)' },
  { name: 'Exe', type: 'string', doc: 'exe= (decoded)' },
  { name: 'Key', type: 'string', doc: 'key= of the audit rule, empty when (null)' },
  { name: 'Account', type: 'string', doc: 'acct= of user records (decoded)' },
  { name: 'Addr', type: 'string', doc: 'addr= of user records' },
  { name: 'CommandLine', type: 'string', doc: 'EXECVE arguments / PROCTITLE, decoded and space-joined' },
  { name: 'Fields', type: 'dynamic', doc: 'every name=value of the record, decoded' },
] as const);

export const CefFirewallColumns = columns([
  { name: 'TimeGenerated', type: 'datetime', doc: 'event time (rt=)' },
  { name: 'RecordId', type: 'long', doc: '1-based record number in the dataset' },
  { name: 'Computer', type: 'string', doc: 'syslog host that sent the CEF line' },
  { name: 'CEFVersion', type: 'int', doc: 'CEF header version (0)' },
  { name: 'DeviceVendor', type: 'string', doc: 'header Device Vendor' },
  { name: 'DeviceProduct', type: 'string', doc: 'header Device Product' },
  { name: 'DeviceVersion', type: 'string', doc: 'header Device Version' },
  { name: 'DeviceEventClassID', type: 'string', doc: 'header Signature ID' },
  { name: 'Activity', type: 'string', doc: 'header Name' },
  { name: 'LogSeverity', type: 'int', doc: 'header Severity 0-10' },
  { name: 'DeviceAction', type: 'string', doc: 'act= (allow, deny, drop)' },
  { name: 'Protocol', type: 'string', doc: 'proto= (TCP, UDP, ICMP)' },
  { name: 'SourceIP', type: 'string', doc: 'src=' },
  { name: 'SourcePort', type: 'int', doc: 'spt=' },
  { name: 'DestinationIP', type: 'string', doc: 'dst=' },
  { name: 'DestinationPort', type: 'int', doc: 'dpt=' },
  { name: 'SentBytes', type: 'long', doc: 'out=' },
  { name: 'ReceivedBytes', type: 'long', doc: 'in=' },
  { name: 'DeviceInboundInterface', type: 'string', doc: 'deviceInboundInterface=' },
  { name: 'DeviceOutboundInterface', type: 'string', doc: 'deviceOutboundInterface=' },
  { name: 'Message', type: 'string', doc: 'msg= (free text, unescaped)' },
  { name: 'Extension', type: 'dynamic', doc: 'every extension key=value, unescaped' },
] as const);

export const WindowsSecurityColumns = columns([
  { name: 'TimeGenerated', type: 'datetime', doc: 'System/TimeCreated SystemTime (UTC)' },
  { name: 'RecordId', type: 'long', doc: '1-based record number in the dataset' },
  { name: 'EventRecordID', type: 'long', doc: 'System/EventRecordID: each computer numbers its own log' },
  { name: 'Computer', type: 'string', doc: 'System/Computer (FQDN)' },
  { name: 'EventID', type: 'int', doc: '4624, 4625, 4634, 4672, 4688, 4720, 4732, 4740' },
  { name: 'Activity', type: 'string', doc: '"<EventID> - <description>" as in Sentinel SecurityEvent' },
  { name: 'Keywords', type: 'string', doc: 'Audit Success or Audit Failure' },
  { name: 'Task', type: 'int', doc: 'System/Task (subcategory id)' },
  { name: 'SubjectUserSid', type: 'string', doc: 'EventData SubjectUserSid' },
  { name: 'SubjectUserName', type: 'string', doc: 'EventData SubjectUserName' },
  { name: 'SubjectDomainName', type: 'string', doc: 'EventData SubjectDomainName' },
  { name: 'SubjectLogonId', type: 'string', doc: 'EventData SubjectLogonId (hex)' },
  { name: 'TargetUserSid', type: 'string', doc: 'EventData TargetUserSid (4732: TargetSid of the group)' },
  { name: 'TargetUserName', type: 'string', doc: 'EventData TargetUserName (4732: group name)' },
  { name: 'TargetDomainName', type: 'string', doc: 'EventData TargetDomainName' },
  { name: 'TargetLogonId', type: 'string', doc: 'EventData TargetLogonId (hex)' },
  { name: 'LogonType', type: 'int', doc: 'EventData LogonType (2 interactive, 3 network, 10 remote interactive, ...)' },
  { name: 'LogonProcessName', type: 'string', doc: 'EventData LogonProcessName' },
  { name: 'AuthenticationPackageName', type: 'string', doc: 'EventData AuthenticationPackageName' },
  { name: 'WorkstationName', type: 'string', doc: 'EventData WorkstationName' },
  { name: 'IpAddress', type: 'string', doc: 'EventData IpAddress' },
  { name: 'IpPort', type: 'string', doc: 'EventData IpPort' },
  { name: 'Status', type: 'string', doc: 'EventData Status (4625)' },
  { name: 'SubStatus', type: 'string', doc: 'EventData SubStatus (4625)' },
  { name: 'NewProcessName', type: 'string', doc: 'EventData NewProcessName (4688)' },
  { name: 'CommandLine', type: 'string', doc: 'EventData CommandLine (4688)' },
  { name: 'ParentProcessName', type: 'string', doc: 'EventData ParentProcessName (4688)' },
  { name: 'PrivilegeList', type: 'string', doc: 'EventData PrivilegeList (4672)' },
  { name: 'MemberName', type: 'string', doc: 'EventData MemberName (4732)' },
  { name: 'MemberSid', type: 'string', doc: 'EventData MemberSid (4732)' },
  { name: 'EventData', type: 'dynamic', doc: 'every EventData Data Name=value pair' },
] as const);

export const VerifonePosColumns = columns([
  { name: 'TimeGenerated', type: 'datetime', doc: 'event time (UTC)' },
  { name: 'RecordId', type: 'long', doc: '1-based record number in the dataset' },
  { name: 'StoreId', type: 'string', doc: 'store number' },
  { name: 'TerminalId', type: 'string', doc: 'terminal id (TID)' },
  { name: 'DeviceModel', type: 'string', doc: 'payment device model (MX915, P400, V400m, ...)' },
  { name: 'SerialNumber', type: 'string', doc: 'device serial number' },
  { name: 'EventType', type: 'string', doc: 'SALE, REFUND, VOID, LOGIN, LOGIN_FAILED, LOGOUT, LOCKOUT, HEARTBEAT' },
  { name: 'Operator', type: 'string', doc: 'cashier / operator id' },
  { name: 'TransactionId', type: 'string', doc: 'transaction id (empty for non-transaction events)' },
  { name: 'Amount', type: 'real', doc: 'amount in major units' },
  { name: 'Currency', type: 'string', doc: 'ISO 4217 code' },
  { name: 'CardBrand', type: 'string', doc: 'VISA, MASTERCARD, AMEX, DISCOVER, DEBIT' },
  { name: 'MaskedPan', type: 'string', doc: 'first 6 / last 4 with the middle masked (never a real PAN)' },
  { name: 'EntryMode', type: 'string', doc: 'CHIP, CONTACTLESS, SWIPE, MANUAL' },
  { name: 'ResponseCode', type: 'string', doc: 'ISO 8583 response code (00 approved, 05, 51, 55, ...)' },
  { name: 'Result', type: 'string', doc: 'APPROVED, DECLINED, ERROR, OK, FAILED' },
  { name: 'AuthCode', type: 'string', doc: 'authorization code when approved' },
  { name: 'Message', type: 'string', doc: 'free text' },
] as const);

export type SyslogRow = RowOf<typeof SyslogColumns>;
export type AuditdRow = RowOf<typeof AuditdColumns>;
export type CefFirewallRow = RowOf<typeof CefFirewallColumns>;
export type WindowsSecurityRow = RowOf<typeof WindowsSecurityColumns>;
export type VerifonePosRow = RowOf<typeof VerifonePosColumns>;

export interface DatasetTable {
  readonly name: string;
  readonly columns: readonly Column[];
  readonly docstring: string;
}

export const DATASET_TABLES: readonly DatasetTable[] = [
  { name: 'SyslogLogs', columns: SyslogColumns, docstring: 'Synthetic Linux syslog (RFC 3164 / RFC 5424), one row per line' },
  { name: 'AuditdLogs', columns: AuditdColumns, docstring: 'Synthetic Linux auditd records, one row per record; EventSerial groups an event' },
  { name: 'CEFFirewallLogs', columns: CefFirewallColumns, docstring: 'Synthetic CEF firewall events (Sentinel CommonSecurityLog names)' },
  { name: 'WindowsSecurityLogs', columns: WindowsSecurityColumns, docstring: 'Synthetic Windows Security events (Sentinel SecurityEvent names)' },
  { name: 'VerifonePOSLogs', columns: VerifonePosColumns, docstring: 'Synthetic Verifone point-of-sale terminal events' },
];

export function datasetTable(name: string): DatasetTable | undefined {
  return DATASET_TABLES.find((t) => t.name === name);
}
