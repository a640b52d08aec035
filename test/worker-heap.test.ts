// The worker's first-batch line about its young generation: read from the flags Node got.
import functions from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import { mallocLine, workerHeap, workerHeapLine } from '../functions/eventhub/workerHeap.js';

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
  });
});
