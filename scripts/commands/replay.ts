// sift replay: re-drive dead letters from the dead-letter container through the pipeline and
// the configured sink (KUBESIFT_SINK etc. from the environment).
import { loadConfig } from '../../functions/config.js';
import { policyFromConfig } from '../../functions/detect/index.js';
import { blobServiceFor } from '../../functions/land/clients.js';
import { getLander } from '../../functions/land/index.js';
import { replayDeadLetters } from '../../functions/land/replay.js';
import { RestError } from '@azure/storage-blob';
import { errorText } from '../../functions/errorText.js';
import { storagePlace } from '../../functions/land/storagePlace.js';
import { parseCommandArgs } from './args.js';

const HELP = `usage: sift replay [--prefix yyyy/mm/dd/] [--dry-run] [--allow-incomplete]

Reads dead letters from KUBESIFT_DEADLETTER_CONTAINER, runs them through the pipeline again
and lands them with the configured sink (KUBESIFT_SINK). Whole batches are landed under their
original batch key (tables that already landed are skipped); every replayed blob is marked
(metadata replayedat) so a second replay skips it. A .json blob that is not a dead letter is
named on stderr, left as it is and counted as unreadable; the rest are replayed. A whole batch
whose blobs cannot all be read (or lie outside --prefix) waits, counted as incomplete, and the
log names the sequence numbers no blob holds. Exits 1 when a batch failed to land, a blob was
unreadable or a batch incomplete; 0 when there is no dead-letter container yet (nothing was
ever set aside).
  --prefix P          only blobs whose name starts with P (e.g. 2025/01/02/, not deadletter/…)
  --dry-run           process and count what would land (rows, letters failing again), land
                      nothing, mark nothing
  --allow-incomplete  land what an incomplete batch has left (the bodies that read) under the
                      batch's key, so tables that had landed are skipped, and mark them: you
                      accept that the missing bodies are lost
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs('sift replay', HELP, argv, { prefix: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'allow-incomplete': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (typeof args === 'number') return args;
  const { values } = args;
  const config = loadConfig();
  const policy = policyFromConfig(config);
  const lander = await getLander(config);
  const container = blobServiceFor(config).getContainerClient(config.KUBESIFT_DEADLETTER_CONTAINER);
  try {
    const report = await replayDeadLetters(container, {
      lander,
      policy,
      ...(values.prefix ? { prefix: values.prefix } : {}),
      dryRun: values['dry-run'] ?? false,
      allowIncomplete: values['allow-incomplete'] ?? false,
      webhookHub: config.KUBESIFT_WEBHOOK_HUB,
      defaultCluster: config.KUBESIFT_DEFAULT_CLUSTER,
      log: (line) => process.stderr.write(line + '\n'),
    });
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return report.failedBatches > 0 || report.unreadable > 0 || report.incomplete > 0 ? 1 : 0;
  } catch (err) {
    // A storage error names the storage it could not read; anything else is itself.
    if (!(err instanceof RestError)) throw err;
    throw new Error(`dead-letter ${storagePlace(container)}: ${errorText(err)} (KUBESIFT_STORAGE_CONNECTION / KUBESIFT_STORAGE_ACCOUNT; locally, is npm start or Azurite running?)`, { cause: err });
  } finally {
    await lander.close();
  }
}
