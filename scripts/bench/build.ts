// Compile the app to plain JS in a private cache folder: import times and generator memory
// are measured on what the Functions host runs (node + built JS), not through tsx, whose
// on-the-fly transpiling would dominate both. The folder sits under node_modules so the
// built files resolve packages exactly as dist/ does, without touching dist/ itself.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
/** KUBESIFT_BENCH_BUILD names another folder under node_modules/.cache (the suite's own run uses one, so it never rewrites files a running bench imports). */
export const BUILD_DIR = join(ROOT, 'node_modules', '.cache', process.env.KUBESIFT_BENCH_BUILD || 'kubesift-bench', 'dist');

/** Built JS path of a repository TypeScript file ('functions/index.ts' → …/functions/index.js). */
export function built(tsPath: string): string {
  return join(BUILD_DIR, tsPath.replace(/\.ts$/, '.js'));
}

/**
 * Emit JS for functions/ and scripts/. Type errors in files still being written elsewhere
 * do not stop the emit (tsc emits anyway); only a missing output is fatal.
 */
export function buildApp(): { ms: number; typeErrors: number } {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const t0 = performance.now();
  let typeErrors = 0;
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR, '--sourceMap', 'false'], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    const out = String((err as { stdout?: Buffer }).stdout ?? '');
    typeErrors = out.split('\n').filter((l) => l.includes('error TS')).length;
  }
  if (!existsSync(built('functions/index.ts'))) throw new Error(`build produced no ${built('functions/index.ts')}`);
  return { ms: performance.now() - t0, typeErrors };
}
