// npx tsx scripts/benchLand.ts [--records N] [--batch N]
// Landing throughput on this machine: rows/s through the queued sink (real QueuedIngestClient
// → loopback stand-in → Azurite blob + queue) and the blob sink (Azurite), plus gzip bytes per
// 1,000 audit rows. Input: the bench's generated AKS bodies (scripts/bench/aksInput.ts, varied
// users/objects/scenarios). Pipeline time (normalize/detect) is excluded: batches are prepared first.
import { loadConfig } from '../functions/config.js';
import { defaultPolicy } from '../functions/detect/index.js';
import { createLander, type SinkKind } from '../functions/land/index.js';
import { gzip, tablePayloads } from '../functions/land/payload.js';
import { batchKey, processEvents } from '../functions/pipeline.js';
import { aksInput } from './bench/aksInput.js';
import { intFlag, parseCommandArgs } from './commands/args.js';
import { startKustoStandIn } from '../test/support/kustoStandIn.js';
import { startAzurite } from './azurite.js';

const USAGE = 'usage: npx tsx scripts/benchLand.ts [--records N] [--batch N]\n';
const parsed = parseCommandArgs('npx tsx scripts/benchLand.ts', USAGE, process.argv.slice(2), { records: { type: 'string' }, batch: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, {
  check: ({ values }) => ({ records: intFlag(values.records, 'records', 20_000), batch: intFlag(values.batch, 'batch', 100) }),
});
if (typeof parsed === 'number') process.exit(parsed);
const { records, batch } = parsed.checked;

const azurite = await startAzurite();
const standIn = await startKustoStandIn(azurite);
try {
  const policy = defaultPolicy('aks');
  const input = await aksInput(records, 42, batch);
  const prepared = input.batches.map((events) => ({ key: batchKey(events), result: processEvents(events, { policy, now: new Date('2024-03-04T06:00:00Z') }) }));
  const batches = prepared.length;
  let auditRows = 0;
  let json = 0;
  let gz = 0;
  for (const b of prepared) {
    const audit = tablePayloads(b.result, b.key).payloads.find((p) => p.table === 'AksAudit');
    if (!audit) continue;
    auditRows += audit.rows;
    json += audit.ndjson.length;
    gz += gzip(audit.ndjson).length;
  }
  console.log(`input: ${input.records} records in ${batches} batches of ${batch} bodies`);
  console.log(`AksAudit: ${auditRows} rows → ${json} B JSON, ${gz} B gzip: ${Math.round((gz * 1000) / auditRows)} B gzip per 1k rows (${Math.round((json * 1000) / auditRows)} B raw, ${(json / gz).toFixed(1)}x)`);

  for (const kind of ['queued', 'blob'] as SinkKind[]) {
    const config = loadConfig({
      KUBESIFT_SINK: kind,
      KUBESIFT_STORAGE_CONNECTION: azurite.connectionString,
      KUBESIFT_KUSTO_INGEST_URL: standIn.url,
      KUBESIFT_KUSTO_AUTH: 'none',
      KUBESIFT_LANDING_CONTAINER: `landing-${kind}`,
    });
    const lander = createLander(kind, { config });
    // Warm-up (resource discovery, container creation) outside the clock.
    await lander.land(prepared[0]!.result, `${prepared[0]!.key}-warmup`);
    let rows = 0;
    const t0 = process.hrtime.bigint();
    for (const b of prepared) {
      const r = await lander.land(b.result, b.key);
      rows += Object.values(r.rows).reduce<number>((a, n) => a + (n ?? 0), 0);
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`${kind.padEnd(6)} sink: ${batches} batches, ${rows} rows (all tables) in ${s.toFixed(2)} s → ${Math.round(rows / s)} rows/s, ${(s * 1000 / batches).toFixed(0)} ms/batch`);
    await lander.close();
  }
} finally {
  await standIn.stop();
  await azurite.stop();
}
