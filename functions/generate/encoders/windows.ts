// Windows Security event log: the EventData field names of each supported event id (in the
// order the Security-Auditing manifest declares them) and an XML renderer producing the
// <Event> document wevtutil / Get-WinEvent ToXml() give, one per line.
import { escapeBytes, FragmentCache, utf8, type ByteWriter } from '../bytes.js';
import type { TimeFormat } from '../time.js';

export const SECURITY_AUDITING_PROVIDER = 'Microsoft-Windows-Security-Auditing';
export const SECURITY_AUDITING_GUID = '{54849625-5478-4994-a5ba-3e3b0328c30d}';
export const KEYWORD_SUCCESS = '0x8020000000000000';
export const KEYWORD_FAILURE = '0x8010000000000000';

export interface EventSchema {
  readonly version: number;
  /** Task = audit subcategory id. */
  readonly task: number;
  readonly description: string;
  readonly failure: boolean;
  readonly fields: readonly string[];
}

/** EventData field names as documented for each event (Microsoft Learn, "Audit ..." pages). */
export const EVENT_SCHEMAS: Readonly<Record<number, EventSchema>> = {
  4624: {
    version: 2, task: 12544, failure: false, description: 'An account was successfully logged on.',
    fields: ['SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'TargetUserSid', 'TargetUserName', 'TargetDomainName', 'TargetLogonId', 'LogonType', 'LogonProcessName', 'AuthenticationPackageName', 'WorkstationName', 'LogonGuid', 'TransmittedServices', 'LmPackageName', 'KeyLength', 'ProcessId', 'ProcessName', 'IpAddress', 'IpPort', 'ImpersonationLevel', 'RestrictedAdminMode', 'TargetOutboundUserName', 'TargetOutboundDomainName', 'VirtualAccount', 'TargetLinkedLogonId', 'ElevatedToken'],
  },
  4625: {
    version: 0, task: 12544, failure: true, description: 'An account failed to log on.',
    fields: ['SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'TargetUserSid', 'TargetUserName', 'TargetDomainName', 'Status', 'FailureReason', 'SubStatus', 'LogonType', 'LogonProcessName', 'AuthenticationPackageName', 'WorkstationName', 'TransmittedServices', 'LmPackageName', 'KeyLength', 'ProcessId', 'ProcessName', 'IpAddress', 'IpPort'],
  },
  4634: {
    version: 0, task: 12545, failure: false, description: 'An account was logged off.',
    fields: ['TargetUserSid', 'TargetUserName', 'TargetDomainName', 'TargetLogonId', 'LogonType'],
  },
  4672: {
    version: 0, task: 12548, failure: false, description: 'Special privileges assigned to new logon.',
    fields: ['SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'PrivilegeList'],
  },
  4688: {
    version: 2, task: 13312, failure: false, description: 'A new process has been created.',
    fields: ['SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'NewProcessId', 'NewProcessName', 'TokenElevationType', 'ProcessId', 'CommandLine', 'TargetUserSid', 'TargetUserName', 'TargetDomainName', 'TargetLogonId', 'ParentProcessName', 'MandatoryLabel'],
  },
  4720: {
    version: 0, task: 13824, failure: false, description: 'A user account was created.',
    fields: ['TargetUserName', 'TargetDomainName', 'TargetSid', 'SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'PrivilegeList', 'SamAccountName', 'DisplayName', 'UserPrincipalName', 'HomeDirectory', 'HomePath', 'ScriptPath', 'ProfilePath', 'UserWorkstations', 'PasswordLastSet', 'AccountExpires', 'PrimaryGroupId', 'AllowedToDelegateTo', 'OldUacValue', 'NewUacValue', 'UserAccountControl', 'UserParameters', 'SidHistory', 'LogonHours'],
  },
  4732: {
    version: 0, task: 13826, failure: false, description: 'A member was added to a security-enabled local group.',
    fields: ['MemberName', 'MemberSid', 'TargetUserName', 'TargetDomainName', 'TargetSid', 'SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'PrivilegeList'],
  },
  4740: {
    version: 0, task: 13824, failure: false, description: 'A user account was locked out.',
    fields: ['TargetUserName', 'TargetDomainName', 'TargetSid', 'SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId'],
  },
};

/** Logon types of 4624/4625/4634 (documented values). */
export const LOGON_TYPES = {
  Interactive: 2,
  Network: 3,
  Batch: 4,
  Service: 5,
  Unlock: 7,
  NetworkCleartext: 8,
  NewCredentials: 9,
  RemoteInteractive: 10,
  CachedInteractive: 11,
} as const;

/** Replacement text by character code (< 128) for the characters escaped below. */
const XML_ESCAPES: readonly (string | undefined)[] = Object.assign(new Array<string | undefined>(128).fill(undefined), { 38: '&amp;', 60: '&lt;', 62: '&gt;', 34: '&quot;', 39: '&apos;' });
/** Tab, LF and CR as character references; other control characters have no XML 1.0 form (U+FFFD). */
const CONTROL_ESCAPES: readonly (string | undefined)[] = Object.assign(new Array<string | undefined>(32).fill(undefined), { 9: '&#9;', 10: '&#10;', 13: '&#13;' });

/** XML text/attribute escaping (&, <, >, ", '); control characters other than tab/LF/CR are not
 * allowed in XML 1.0 at all, so they are written as U+FFFD. LF/CR become &#10;/&#13; so one
 * event stays one line. */
export function xmlEscape(s: string): string {
  // Copies the runs between characters that need escaping (most values have none: no copy).
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const rep = c < 32 ? (CONTROL_ESCAPES[c] ?? '\uFFFD') : c < 128 ? XML_ESCAPES[c] : undefined;
    if (rep === undefined) continue;
    out += s.slice(from, i) + rep;
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

export interface WindowsEventXml {
  eventId: number;
  /** SystemTime, ISO-8601 UTC with 7 fractional digits as Windows writes it. */
  systemTime: string;
  recordId: number;
  processId: number;
  threadId: number;
  computer: string;
  /** Values by field name; fields of the schema missing here are written as '-'. */
  data: Readonly<Record<string, string>>;
}

/** Per event id: the constant text around the variable parts, built once from the schema. */
interface EventTemplate {
  /** `<Event …><System>…<TimeCreated SystemTime="` */
  head: string;
  /** `<Data Name="Field">` per schema field, the first after `<EventData>`, the others after the previous `</Data>` */
  dataOpen: readonly string[];
  /** what closes the last field (or the empty EventData) and the document */
  end: string;
  fields: readonly string[];
}

const TEMPLATES = new Map<number, EventTemplate>(
  Object.entries(EVENT_SCHEMAS).map(([id, s]) => [
    Number(id),
    {
      head:
        `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>` +
        `<Provider Name="${SECURITY_AUDITING_PROVIDER}" Guid="${SECURITY_AUDITING_GUID}"/>` +
        `<EventID>${id}</EventID><Version>${s.version}</Version><Level>0</Level><Task>${s.task}</Task><Opcode>0</Opcode>` +
        `<Keywords>${s.failure ? KEYWORD_FAILURE : KEYWORD_SUCCESS}</Keywords><TimeCreated SystemTime="`,
      dataOpen: s.fields.map((f, i) => `${i === 0 ? '' : '</Data>'}<Data Name="${f}">`),
      end: `${s.fields.length ? '</Data>' : ''}</EventData></Event>`,
      fields: s.fields,
    },
  ]),
);

/** One <Event> element on a single line. Throws for event ids without a schema. */
export function windowsEventXml(e: WindowsEventXml): string {
  const tpl = TEMPLATES.get(e.eventId);
  if (!tpl) throw new Error(`unsupported event id ${e.eventId}`);
  let out =
    tpl.head +
    e.systemTime +
    `"/><EventRecordID>${e.recordId}</EventRecordID><Correlation/><Execution ProcessID="${e.processId}" ThreadID="${e.threadId}"/>` +
    `<Channel>Security</Channel><Computer>${xmlEscape(e.computer)}</Computer><Security/></System><EventData>`;
  const { dataOpen, fields } = tpl;
  for (let i = 0; i < fields.length; i++) out += dataOpen[i] + xmlEscape(e.data[fields[i] as string] ?? '-');
  return out + tpl.end;
}

/** What xmlEscape rewrites: control characters and & < > " ' (non-ASCII bytes are checked too). */
const XML_NEEDS = escapeBytes((c) => c < 32 || XML_ESCAPES[c] !== undefined);

/**
 * An event id's template as bytes, and per field the bytes of `<Data Name="F">` plus each
 * value seen (values repeat: SIDs, names, constants), up to a bound per field; a value past
 * the bound is escaped and written as it comes.
 */
interface EventBytes {
  head: Uint8Array;
  fields: readonly string[];
  dataOpen: readonly Uint8Array[];
  data: readonly FragmentCache[];
  end: Uint8Array;
}

const EVENT_BYTES = new Map<number, EventBytes>(
  [...TEMPLATES].map(([id, t]) => [
    id,
    {
      head: utf8(t.head),
      fields: t.fields,
      dataOpen: t.dataOpen.map(utf8),
      data: t.dataOpen.map((open) => new FragmentCache((v) => open + xmlEscape(v), 256)),
      end: utf8(t.end),
    },
  ]),
);

const RECORD_ID = utf8('"/><EventRecordID>');
const PROCESS_ID = utf8('</EventRecordID><Correlation/><Execution ProcessID="');
const THREAD_ID = utf8('" ThreadID="');
/** The text from the thread id's closing quote to <EventData>, per computer. */
const COMPUTER = new FragmentCache((c) => `"/><Channel>Security</Channel><Computer>${xmlEscape(c)}</Computer><Security/></System><EventData>`, 256);

/**
 * Writes windowsEventXml(e) into `w` (the same bytes, test/generate-fastpaths), with
 * `systemTime` given as microseconds that `tf.iso(systemTime, 7)` would format, or as text.
 */
export function writeWindowsEventXml(w: ByteWriter, e: Omit<WindowsEventXml, 'systemTime'> & { systemTime: string | number }, tf: TimeFormat): void {
  const tpl = EVENT_BYTES.get(e.eventId);
  if (!tpl) throw new Error(`unsupported event id ${e.eventId}`);
  w.bytes(tpl.head);
  if (typeof e.systemTime === 'number') tf.writeIso(w, e.systemTime, 7);
  else w.str(e.systemTime);
  w.bytes(RECORD_ID);
  w.int(e.recordId);
  w.bytes(PROCESS_ID);
  w.int(e.processId);
  w.bytes(THREAD_ID);
  w.int(e.threadId);
  const computer = COMPUTER.cached(e.computer);
  if (computer) w.bytes(computer);
  else w.str(`"/><Channel>Security</Channel><Computer>${xmlEscape(e.computer)}</Computer><Security/></System><EventData>`);
  const { fields, data, dataOpen } = tpl;
  for (let i = 0; i < fields.length; i++) {
    const v = e.data[fields[i] as string] ?? '-';
    const b = (data[i] as FragmentCache).cached(v);
    if (b) w.bytes(b);
    else {
      w.bytes(dataOpen[i] as Uint8Array);
      w.escaped(v, xmlEscape, XML_NEEDS);
    }
  }
  w.bytes(tpl.end);
}
