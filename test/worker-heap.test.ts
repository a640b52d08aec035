// The worker's first-batch line about its young generation: read from the flags Node got.
import functions from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RUNTIME_V8_FLAGS } from '../functions/eventhub/runtimeV8Flags.js';
import { mallocLine, workerHeap, workerHeapLine } from '../functions/eventhub/workerHeap.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('worker heap flags', () => {
  it('reads --max-semi-space-size from NODE_OPTIONS and the command line (which wins)', () => {
    expect(workerHeap([], '--max-semi-space-size=64')).toEqual({ semiSpaceMb: 64, source: 'NODE_OPTIONS' });
    expect(workerHeap([], '  --enable-source-maps   --max_semi_space_size 32 ')).toEqual({ semiSpaceMb: 32, source: 'NODE_OPTIONS' });
    expect(workerHeap([], '--max-semi-space-size=16 --max-semi-space-size=128')).toEqual({ semiSpaceMb: 128, source: 'NODE_OPTIONS' });
    expect(workerHeap(['--max-semi-space-size=8'], '--max-semi-space-size=64')).toEqual({ semiSpaceMb: 8, source: 'command line' });
  });

  it('no flag, or one without a usable value, is V8 default', () => {
    for (const opts of [undefined, '', '--max-old-space-size=4096', '--max-semi-space-size', '--max-semi-space-size=', '--max-semi-space-size=lots', '--max-semi-space-size=-1', '--max-semi-space-sizes=64'])
      expect(workerHeap([], opts), String(opts)).toEqual({ semiSpaceMb: null, source: null });
  });

  it('the line names the value and where it came from, or says it is missing, and echoes nothing else', () => {
    expect(workerHeapLine({ semiSpaceMb: 64, source: 'NODE_OPTIONS' })).toBe('worker heap: --max-semi-space-size=64 from NODE_OPTIONS');
    const missing = workerHeapLine(workerHeap([], '--require /secret/path.js'));
    expect(missing).toMatch(/^worker heap: V8 default young generation/);
    expect(missing).not.toContain('/secret/path.js');
  });

  it('the malloc line names the two settings that reached the process, and nothing else', () => {
    expect(mallocLine({ MALLOC_MMAP_THRESHOLD_: '67108864', MALLOC_TRIM_THRESHOLD_: '268435456', SECRET: 'x' })).toBe('worker malloc: MALLOC_MMAP_THRESHOLD_=67108864, MALLOC_TRIM_THRESHOLD_=268435456');
    expect(mallocLine({ MALLOC_MMAP_THRESHOLD_: '67108864' })).toBe('worker malloc: MALLOC_MMAP_THRESHOLD_=67108864');
    expect(mallocLine({ MALLOC_MMAP_THRESHOLD_: 'lots' })).toMatch(/^worker malloc: glibc defaults/);
    expect(mallocLine({})).toMatch(/^worker malloc: glibc defaults/);
  });

  it('the Event Hub handler logs it on its first batch only', async () => {
    // A fresh module instance, so "first batch of this worker" is this test's first call.
    vi.resetModules();
    const { handleAksBatch } = await import('../functions/triggers/aksDiagnostics.js');
    const { defaultPolicy } = await import('../functions/detect/index.js');
    const { loadConfig } = await import('../functions/config.js');
    const lander = { kind: 'none', land: async () => ({ rows: {}, deadLetters: 0, duplicatesSkipped: 0 }) };
    const logs: string[] = [];
    const ctx = (): functions.InvocationContext =>
      new functions.InvocationContext({ invocationId: 'i', functionName: 'aksDiagnostics', logHandler: (_level, ...args) => logs.push(args.join(' ')) });
    const deps = { lander, policy: defaultPolicy('aks'), config: loadConfig({}) };
    await handleAksBatch([], ctx(), deps);
    await handleAksBatch([], ctx(), deps);
    expect(logs.filter((l) => l.startsWith('worker heap: '))).toEqual([workerHeapLine(workerHeap(process.execArgv, process.env.NODE_OPTIONS))]);
    expect(logs.filter((l) => l.startsWith('worker malloc: '))).toEqual([mallocLine(process.env)]);
    // This test loaded the trigger, not the app entry: the line says the flags were not set.
    expect(logs.filter((l) => l.startsWith('worker V8: '))).toEqual(['worker V8: runtime flags not set (the app entry functions/index.js did not load)']);
  });

  it('the app entry sets the runtime V8 flags once it has registered the triggers, and the worker log says so', () => {
    // A fresh process: loading the entry registers every trigger with @azure/functions.
    const script = [
      "const { runtimeV8FlagsLine } = await import('./functions/eventhub/runtimeV8Flags.ts');",
      'const before = runtimeV8FlagsLine();',
      "await import('./functions/index.ts');",
      'console.log(JSON.stringify([before, runtimeV8FlagsLine()]));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([
      'worker V8: runtime flags not set (the app entry functions/index.js did not load)',
      `worker V8: ${RUNTIME_V8_FLAGS.join(' ')} set at start-up`,
    ]);
    expect(RUNTIME_V8_FLAGS).toContain('--no-allocation-site-pretenuring');
  });

  it.each([
    ['process', true],
    ['replay', true],
    ['generate', false],
  ])('sift %s sets the runtime V8 flags when it runs batches through the pipeline: %s', (command, sets) => {
    // A fresh process running the CLI entry as `sift <command> --help`; the last line is the flag state.
    const script = [
      `process.argv = [process.argv[0], 'sift', ${JSON.stringify(command)}, '--help'];`,
      "const { runtimeV8FlagsLine } = await import('./functions/eventhub/runtimeV8Flags.ts');",
      "await import('./scripts/sift.ts');",
      'while (process.exitCode === undefined) await new Promise((r) => setImmediate(r));',
      'console.log(JSON.stringify(runtimeV8FlagsLine()));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toBe(
      sets ? `worker V8: ${RUNTIME_V8_FLAGS.join(' ')} set at start-up` : 'worker V8: runtime flags not set (the app entry functions/index.js did not load)',
    );
  });

  it('each runtime flag is one V8 knows and NODE_OPTIONS refuses (else it would belong there)', () => {
    const v8Options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    for (const flag of RUNTIME_V8_FLAGS) {
      expect(v8Options, flag).toContain(`--${flag.replace(/^--no-/, '')} `);
      const r = spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_OPTIONS: flag }, encoding: 'utf8' });
      expect(r.status, flag).not.toBe(0);
      expect(r.stderr).toContain('is not allowed in NODE_OPTIONS');
    }
  });
});
