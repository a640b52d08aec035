// `npm start`: Azurite from node_modules + every HTTP function at its real route + a local
// Event Hub bus feeding the Event Hub–triggered functions, then a demo batch through the
// same AKS handler the cloud runs, landing in the blob sink in Azurite.
import path from 'node:path';
import type { EventHubHandler, InvocationContext } from '@azure/functions';
import { portFree, startAzurite, type AzuriteHandle } from '../azurite.js';
import { WEBHOOK_SOURCES, webhookSecretProblems } from '../../functions/webhooks/sources.js';
import { webhookSecrets } from '../../functions/config.js';
import { HubBus, type Log } from './hubBus.js';
import { startHttpServer, type LocalHttpServer } from './httpServer.js';
import { RecordingLander, type Totals } from './recorder.js';
import { localWebhookSecrets, type LocalSecrets } from './secrets.js';
import { checkScenarios, DEMO_POLICY_PATH, generateDemo, type FixedPosition } from './demo.js';
import { lockDataFolder } from './dataLock.js';
import { formatSummary, type ScenarioCheck } from './summary.js';

export interface LocalOptions {
  /** Azurite data folder (persistent); undefined → in-memory (tests). */
  dataDir?: string;
  /** Where generated local webhook secrets are kept. */
  stateDir: string;
  /** HTTP port (0 = any free port). Default 7071, like `func start`. */
  port?: number;
  /** Preferred Azurite ports (fall back to free ones when taken). */
  blobPort?: number;
  queuePort?: number;
  demo?: { count: number; seed: number } | false;
  /** Files or folders of your own AKS Event Hub bodies, published after the demo (input.ts). */
  input?: readonly string[];
  log?: Log;
}

export interface DemoOutcome {
  totals: Totals;
  scenarios: ScenarioCheck[];
  text: string;
  elapsedMs: number;
  /** Batches whose handler threw (the host would retry them). */
  failedBatches: number;
}

/** What the --input bodies gave. */
export interface InputOutcome {
  bodies: number;
  totals: Totals;
  text: string;
  failedBatches: number;
}

export interface LocalRunner {
  url: string;
  azurite: AzuriteHandle;
  http: LocalHttpServer;
  bus: HubBus;
  lander: RecordingLander;
  secrets: LocalSecrets;
  demo?: DemoOutcome;
  input?: InputOutcome;
  /** Waits for in-flight hub deliveries, then stops the HTTP server and Azurite. */
  stop(): Promise<void>;
}

/** Import the function app with the library's per-function "test mode" warnings folded into one line. */
async function importApp(log: Log): Promise<void> {
  const warn = console.warn;
  let skipped = 0;
  console.warn = (...args: unknown[]) => {
    const msg = args.map(String).join(' ');
    if (/Skipping call to register|Failed to detect the Azure Functions runtime/.test(msg)) skipped++;
    else warn(...args);
  };
  try {
    await import('../../functions/index.js');
  } finally {
    console.warn = warn;
  }
  if (skipped) log('Functions host not running: the local runner drives the registered handlers itself.');
}

export async function startLocal(opts: LocalOptions): Promise<LocalRunner> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const t0 = Date.now();
  const want = async (p: number | undefined): Promise<number | undefined> => (p !== undefined && (await portFree(p)) ? p : undefined);
  // Before Azurite: a second runner on this folder must not start one (dataLock.ts says why).
  const lock = opts.dataDir ? lockDataFolder(opts.dataDir) : undefined;
  let azurite: AzuriteHandle;
  try {
    azurite = await startAzurite({ location: opts.dataDir, blobPort: await want(opts.blobPort), queuePort: await want(opts.queuePort) });
  } catch (err) {
    lock?.release();
    throw err;
  }
  lock?.addPid(azurite.pid);
  // The lock goes last, once Azurite has saved and exited. A Ctrl-C does not reach Azurite (a
  // process group of its own: scripts/azurite.ts), so it serves until the runner is done with it.
  const cleanup: (() => Promise<void>)[] = [() => azurite.stop(), async () => lock?.release()];
  // Until the caller installs its own handlers: Ctrl-C or SIGTERM during start-up (a long
  // demo) stops what started, Azurite first of all, then dies of the same signal.
  const onEarlySignal = (sig: NodeJS.Signals): void => {
    void (async () => {
      for (const c of cleanup) await c().catch(() => undefined);
      process.kill(process.pid, sig);
    })();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, onEarlySignal);
  try {
    // Secrets given in the environment are the user's: the banner never prints them.
    const fromEnv = new Set(Object.values(WEBHOOK_SOURCES).filter((s) => process.env[s.secretSetting]).map((s) => s.name));
    // The app reads settings from the environment, as under the host.
    const secrets = localWebhookSecrets(opts.stateDir);
    process.env.AzureWebJobsStorage = azurite.connectionString;
    process.env.KUBESIFT_STORAGE_CONNECTION = azurite.connectionString;
    process.env.KUBESIFT_SINK ??= 'blob';
    for (const s of Object.values(WEBHOOK_SOURCES)) process.env[s.secretSetting] = secrets[s.name];
    // The demo cluster's team works with kubectl beside the attacks: without a policy of the
    // user's own, the demo runs under one that lists them, as a user lists their own team.
    // A profile chosen is a policy chosen too (demo.json names its own, which would win); empty
    // values count as unset, as the config reads them.
    const policyFromUser = ['KUBESIFT_POLICY', 'KUBESIFT_POLICY_PATH', 'KUBESIFT_POLICY_PROFILE'].some((k) => (process.env[k] ?? '') !== '');
    if (!policyFromUser) {
      process.env.KUBESIFT_POLICY_PATH = DEMO_POLICY_PATH;
      cleanup.push(async () => void delete process.env.KUBESIFT_POLICY_PATH);
    }

    await importApp(log);
    const { httpTriggers, eventHubTriggers } = await import('../../functions/triggers/registry.js');
    const { loadConfig } = await import('../../functions/config.js');
    const { getLander } = await import('../../functions/land/index.js');
    const config = loadConfig();
    // Binding expressions (%KUBESIFT_AKS_HUB%, ...) read app settings; under the host Bicep sets
    // them all. Locally fill the ones bindings reference from the schema defaults.
    const referenced = [...eventHubTriggers.map((d) => `${d.options.eventHubName} ${d.options.consumerGroup ?? ''}`), ...httpTriggers.flatMap((d) => (d.options.extraOutputs ?? []).map((o) => String(o.eventHubName ?? '')))]
      .join(' ')
      .matchAll(/%([^%\s]+)%/g);
    for (const [, key] of referenced) {
      const value = (config as Record<string, unknown>)[key!];
      if (process.env[key!] === undefined && typeof value === 'string') process.env[key!] = value;
    }
    const lander = new RecordingLander(await getLander(config));

    // Same handlers as the host runs; only the sink is wrapped so the runner can report.
    const bus = new HubBus(eventHubTriggers, log);
    const { handleAksBatch } = await import('../../functions/triggers/aksDiagnostics.js');
    const { handleWebhookBatch } = await import('../../functions/triggers/webhookEvents.js');
    const { policyFromConfig } = await import('../../functions/detect/index.js');
    const policy = policyFromConfig(config);
    const withDeps: Record<string, EventHubHandler> = {
      aksDiagnostics: async (m, c: InvocationContext) => void (await handleAksBatch(m, c, { lander, policy, config })),
      webhookEvents: async (m, c: InvocationContext) => void (await handleWebhookBatch(m as unknown[], c, { lander, policy })),
    };
    for (const [name, h] of Object.entries(withDeps)) if (eventHubTriggers.some((d) => d.name === name)) bus.override(name, h);

    const http = await startHttpServer(httpTriggers, bus, log, opts.port ?? 7071);
    cleanup.unshift(() => http.close());

    let stopped: Promise<void> | undefined;
    const runner: LocalRunner = {
      url: http.url,
      azurite,
      http,
      bus,
      lander,
      secrets,
      stop: () => (stopped ??= (async () => {
        await bus.idle();
        for (const c of cleanup) await c();
      })()),
    };
    log(banner(runner, eventHubTriggers.map((d) => d.name), opts.dataDir, opts.stateDir, fromEnv.has('falco') ? process.env[WEBHOOK_SOURCES.falco.secretSetting] : undefined, policyFromUser));
    // A secret from the environment the app refuses turns its source off: say so now, not at
    // the first request's 503 (the reason was only in the server log).
    for (const problem of webhookSecretProblems(config)) log(`WARNING: a webhook source is off (every request 503) until fixed: ${problem}`);

    /**
     * Bodies on the AKS hub at a position fixed by the data (demo.ts fixedPosition): the same
     * bodies again replay the same batches under the same keys, and the sink skips what it
     * already landed; other data is other positions, and lands. What landed, and in how many
     * trigger batches (failed: those whose handler threw).
     */
    const deliver = async (bodies: readonly unknown[], at: FixedPosition): Promise<{ totals: Totals; batches: number; failedBatches: number }> => {
      lander.reset();
      const reports = await bus.publish(config.KUBESIFT_AKS_HUB, bodies, { partitionId: at.partitionId, enqueuedTime: at.enqueuedTime, firstSequence: 0 });
      return { totals: lander.reset(), batches: reports.reduce((n, r) => n + r.batches, 0), failedBatches: reports.reduce((n, r) => n + r.errors, 0) };
    };
    if (opts.demo) {
      const tDemo = Date.now();
      log(`Generating the demo AKS dataset (${opts.demo.count} records, seed ${opts.demo.seed}, every attack scenario)…`);
      const demo = await generateDemo(opts.demo.count, opts.demo.seed);
      const { totals, batches, failedBatches } = await deliver(demo.bodies, demo);
      const scenarios = checkScenarios(demo, totals.detections);
      const elapsedMs = Date.now() - t0;
      const text = formatSummary(totals, { title: `Demo: ${demo.bodies.length} Event Hub bodies through aksDiagnostics → ${lander.kind} sink`, elapsedMs, batches, failedBatches, scenarios });
      runner.demo = { totals, scenarios, text, elapsedMs, failedBatches };
      log(text);
      log(`\n(demo batch ${((Date.now() - tDemo) / 1000).toFixed(1)} s; cold start to summary ${(elapsedMs / 1000).toFixed(1)} s)`);
    }
    if (opts.input?.length) {
      const tInput = Date.now();
      const { readInput } = await import('./input.js');
      const input = await readInput(opts.input, log);
      const { totals, batches, failedBatches } = await deliver(input.bodies, input);
      const notes = `${input.stats.split ? `, ${input.stats.split} split to fit an event` : ''}${input.stats.emptyFiles ? `, ${input.stats.emptyFiles} empty file(s) skipped` : ''}`;
      const title = `Your input: ${input.bodies.length} Event Hub bodies from ${opts.input.join(', ')}${notes} through aksDiagnostics → ${lander.kind} sink`;
      const text = formatSummary(totals, { title, elapsedMs: Date.now() - tInput, batches, failedBatches });
      runner.input = { bodies: input.bodies.length, totals, text, failedBatches };
      log(`\n${text}`);
    }
    return runner;
  } catch (err) {
    for (const c of cleanup) await c().catch(() => undefined);
    throw err;
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.removeListener(sig, onEarlySignal);
  }
}

/** A file path as a JS string literal inside the double-quoted shell word of the banner's curl line. */
const jsPathInShell = (p: string): string => (/^[^'"\\$`]*$/.test(p) ? `'${p}'` : JSON.stringify(p).replace(/[\\"$`]/g, '\\$&'));

/**
 * The banner's curl line sends as the first entry of the Falco secret setting: a shell
 * expression that reads it when the command runs (never the secret itself), and that entry's
 * cluster when it is bound to one (`?cluster=laptop` would be refused with 403 then).
 */
function curlAuth(stateDir: string, envSecret: string | undefined): { cluster: string; bearer: string } {
  if (envSecret === undefined) return { cluster: 'laptop', bearer: `$(node -p "require(${jsPathInShell(path.resolve(stateDir, 'webhook-secrets.json'))}).falco")` };
  const first = webhookSecrets(envSecret)[0];
  const setting = WEBHOOK_SOURCES.falco.secretSetting;
  // One plain secret: the variable as it is. A rotation pair or a binding: its first entry's secret.
  const whole = envSecret.trim() === first?.secret;
  return { cluster: first?.cluster ?? 'laptop', bearer: whole ? `$${setting}` : `$(node -p '(process.env.${setting} ?? "").trim().split(/\\s+/)[0].replace(/^[^:]*:/, "")')` };
}

function banner(r: LocalRunner, eventHubFns: string[], dataDir: string | undefined, stateDir: string, envSecret: string | undefined, policyFromUser: boolean): string {
  const rel = (p: string): string => path.relative(process.cwd(), p) || '.';
  const curl = curlAuth(stateDir, envSecret);
  const lines = [
    '',
    `KubeSift local runner — functions at ${r.url}/api/ (function keys are NOT checked locally; the Functions host enforces authLevel)`,
    ...[...r.http.routes].sort((a, b) => a.template.localeCompare(b.template)).map((rt) => `  ${rt.methods.join(',').padEnd(13)} ${r.url}/api/${rt.template}   [${rt.def.name}]`),
    `  Event Hub functions on the local bus: ${eventHubFns.join(', ') || 'none'} (hubs: ${r.bus.hubs().join(', ')})`,
    policyFromUser
      ? `  detection policy: yours (${process.env.KUBESIFT_POLICY ? 'KUBESIFT_POLICY' : process.env.KUBESIFT_POLICY_PATH ? `KUBESIFT_POLICY_PATH=${process.env.KUBESIFT_POLICY_PATH}` : `profile ${process.env.KUBESIFT_POLICY_PROFILE}`})`
      : `  detection policy: ${rel(DEMO_POLICY_PATH)} (aks profile + the demo cluster's team; KUBESIFT_POLICY_PATH=your.json to use yours)`,
    `Azurite: blob ${r.azurite.blobUrl}, queue ${r.azurite.queueUrl}; data ${dataDir ? `in ${rel(dataDir)}/ (kept across runs)` : 'in memory'}`,
    // Azurite's well-known development account: its key is public, no secret of this machine.
    `  sift against it (replay, generate --blob), from another shell: export KUBESIFT_STORAGE_CONNECTION='${r.azurite.connectionString}'`,
    envSecret !== undefined
      ? `Webhook secrets from the environment; try, in a shell where ${WEBHOOK_SOURCES.falco.secretSetting} is exported:`
      : `Webhook secrets (local only, generated into ${rel(path.join(stateDir, 'webhook-secrets.json'))}); try:`,
    // The command reads the secret when it runs: it is never written to the terminal or a log.
    `  curl -s -X POST '${r.url}/api/webhooks/falco?cluster=${curl.cluster}' -H "Authorization: Bearer ${curl.bearer}" -H 'Content-Type: application/json' \\`,
    `       -d '{"output":"shell in container","priority":"Warning","rule":"Terminal shell in container","time":"2025-04-20T10:00:00Z","output_fields":{"k8s.ns.name":"default","k8s.pod.name":"web","proc.name":"bash"},"tags":["shell"]}'`,
    '',
  ];
  return lines.join('\n');
}
