// One Azurite per test file: started in beforeAll, stopped in afterAll.
import { afterAll, beforeAll } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../scripts/azurite.js';

export function useAzurite(): { readonly current: AzuriteHandle } {
  const ref: { current?: AzuriteHandle } = {};
  beforeAll(async () => {
    ref.current = await startAzurite();
  });
  afterAll(async () => {
    await ref.current?.stop();
  });
  return {
    get current(): AzuriteHandle {
      if (!ref.current) throw new Error('Azurite not started (use inside tests)');
      return ref.current;
    },
  };
}
