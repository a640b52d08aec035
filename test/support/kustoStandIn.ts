// A loopback stand-in for the Kusto engine / data-management endpoints, speaking just enough
// v1 JSON for the real azure-kusto-* clients: `.get ingestion resources` (pointing at Azurite
// with account SAS URLs), `.get kusto identity token`, any other management command (recorded
// and answered with an empty table), and streaming ingestion (recorded). No auth, no network
// beyond 127.0.0.1.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobServiceClient,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
} from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { DEV_ACCOUNT, DEV_KEY, type AzuriteHandle } from '../../scripts/azurite.js';

export interface RecordedCommand {
  db: string;
  csl: string;
  /** HTTP status the stand-in answered with (500 when failCommands matched). */
  status: number;
}

export interface RecordedStream {
  db: string;
  table: string;
  format: string;
  mappingName: string | null;
  /** Body after gunzip (the client always gzips streaming payloads). */
  body: string;
}

/** What a test can change to inject faults. */
export interface StandInBehaviour {
  /** Delay every response by this many ms (slow endpoint). */
  delayMs: number;
  /** Answer management commands whose text matches with HTTP 500. */
  failCommands?: RegExp;
  /** Answer streaming ingestion with this HTTP status instead of 200. */
  streamingStatus?: number;
  /** Override resource URLs returned by `.get ingestion resources`. */
  queueUrl?: string;
  containerUrl?: string;
}

export interface KustoStandIn {
  url: string;
  commands: RecordedCommand[];
  streams: RecordedStream[];
  behaviour: StandInBehaviour;
  /** Ingestion queue / temp container names created in Azurite. */
  queueName: string;
  containerName: string;
  stop(): Promise<void>;
}

export const INGEST_QUEUE = 'readyforaggregation-secured';
export const INGEST_CONTAINER = 'ingest-temp';

function accountSas(): string {
  const now = new Date();
  return generateAccountSASQueryParameters(
    {
      startsOn: new Date(now.getTime() - 60_000),
      expiresOn: new Date(now.getTime() + 3_600_000),
      permissions: AccountSASPermissions.parse('rwdlacup'),
      services: AccountSASServices.parse('bq').toString(),
      resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
    },
    new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
  ).toString();
}

interface V1Table {
  columns: [string, string][];
  rows: unknown[][];
}

function v1(table: V1Table): string {
  return JSON.stringify({
    Tables: [
      {
        TableName: 'Table_0',
        Columns: table.columns.map(([name, type]) => ({ ColumnName: name, DataType: type === 'string' ? 'String' : type, ColumnType: type })),
        Rows: table.rows,
      },
    ],
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startKustoStandIn(azurite: AzuriteHandle, behaviour: Partial<StandInBehaviour> = {}): Promise<KustoStandIn> {
  await QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(INGEST_QUEUE).createIfNotExists();
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(INGEST_CONTAINER).createIfNotExists();
  const sas = accountSas();
  const state: KustoStandIn = {
    url: '',
    commands: [],
    streams: [],
    behaviour: { delayMs: 0, ...behaviour },
    queueName: INGEST_QUEUE,
    containerName: INGEST_CONTAINER,
    stop: async () => undefined,
  };

  const resources = (): V1Table => ({
    columns: [
      ['ResourceTypeName', 'string'],
      ['StorageRoot', 'string'],
    ],
    rows: [
      ['SecuredReadyForAggregationQueue', state.behaviour.queueUrl ?? `${azurite.queueUrl}/${INGEST_QUEUE}?${sas}`],
      ['FailedIngestionsQueue', `${azurite.queueUrl}/failedingestions?${sas}`],
      ['SuccessfulIngestionsQueue', `${azurite.queueUrl}/successfulingestions?${sas}`],
      ['TempStorage', state.behaviour.containerUrl ?? `${azurite.blobUrl}/${INGEST_CONTAINER}?${sas}`],
      ['IngestionsStatusTable', `http://127.0.0.1:1/${DEV_ACCOUNT}/ingestionsstatus?${sas}`],
    ],
  });

  const send = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (state.behaviour.delayMs > 0) await new Promise((r) => setTimeout(r, state.behaviour.delayMs));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/v1/rest/auth/metadata') return send(res, 404, '{}');
    if (url.pathname.startsWith('/v1/rest/ingest/')) {
      const [, , , , db = '', table = ''] = url.pathname.split('/');
      const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      if (state.behaviour.streamingStatus && state.behaviour.streamingStatus !== 200)
        return send(res, state.behaviour.streamingStatus, JSON.stringify({ error: { code: 'StandIn', message: 'streaming rejected', '@permanent': false } }));
      state.streams.push({
        db: decodeURIComponent(db),
        table: decodeURIComponent(table),
        format: url.searchParams.get('streamFormat') ?? '',
        mappingName: url.searchParams.get('mappingName'),
        body: raw.toString('utf8'),
      });
      return send(res, 200, v1({ columns: [['ExtentId', 'string']], rows: [] }));
    }
    if (url.pathname === '/v1/rest/mgmt' || url.pathname === '/v1/rest/query' || url.pathname === '/v2/rest/query') {
      const payload = JSON.parse(body.toString('utf8') || '{}') as { db?: string; csl?: string };
      const csl = payload.csl ?? '';
      const failed = state.behaviour.failCommands?.test(csl) ?? false;
      state.commands.push({ db: payload.db ?? '', csl, status: failed ? 500 : 200 });
      if (failed) return send(res, 500, JSON.stringify({ error: { code: 'StandIn', message: 'command rejected', '@permanent': false } }));
      if (/^\s*\.get ingestion resources/i.test(csl)) return send(res, 200, v1(resources()));
      if (/^\s*\.get kusto identity token/i.test(csl))
        return send(res, 200, v1({ columns: [['AuthorizationContext', 'string']], rows: [['stand-in-authorization-context']] }));
      return send(res, 200, v1({ columns: [['ExtentId', 'string'], ['ItemLoaded', 'string']], rows: [] }));
    }
    send(res, 404, '{}');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, JSON.stringify({ error: { message: String(err) } })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('stand-in has no port');
  state.url = `http://127.0.0.1:${addr.port}`;
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
