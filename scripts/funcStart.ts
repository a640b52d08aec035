// npm run start:func: the Azure Functions host on the built app. Core Tools is not an npm
// dependency (a large native download), so when `func` is missing this says where to get it
// and what runs without it, instead of the shell's "func: not found".
import { spawn } from 'node:child_process';

const child = spawn('func', ['start', ...process.argv.slice(2)], { stdio: 'inherit', shell: process.platform === 'win32' });
child.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'ENOENT') throw err;
  process.stderr.write(
    'npm run start:func: the Azure Functions Core Tools (`func`, v4) are not installed or not on PATH.\n' +
      'Install them (https://learn.microsoft.com/azure/azure-functions/functions-run-local), see docs/local.md,\n' +
      'or run `npm start`, which serves the same functions without them.\n',
  );
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
