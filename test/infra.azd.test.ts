// azure.yaml: azd finds the template and the Function App it deploys to.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { declarationBody, literalString, objectPath, readBicep, repoRoot } from './infra-bicep.js';

const azd = parse(readFileSync(join(repoRoot, 'azure.yaml'), 'utf8')) as {
  name: string;
  infra: { provider: string; path: string; module: string };
  services: Record<string, { project: string; language: string; host: string; remoteBuild?: boolean }>;
};

describe('azure.yaml', () => {
  it('points at infra/main.bicep', () => {
    expect(azd.infra.provider).toBe('bicep');
    expect(existsSync(join(repoRoot, azd.infra.path, `${azd.infra.module}.bicep`))).toBe(true);
  });

  it('deploys one Node Function App service from the repository root', () => {
    const names = Object.keys(azd.services);
    expect(names).toHaveLength(1);
    const svc = azd.services[names[0]!]!;
    expect(svc.host).toBe('function');
    expect(['js', 'ts']).toContain(svc.language);
    const pkg = JSON.parse(readFileSync(join(repoRoot, svc.project, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };
    expect(pkg.main).toMatch(/^dist\//);
    expect(pkg.scripts.build).toBeDefined();
  });

  it('builds here, not remotely: the package leaves out what a remote `npm run build` needs (azd before 1.23.12 built TypeScript remotely on Flex unless told)', () => {
    const svc = Object.values(azd.services)[0]!;
    expect(svc.remoteBuild).toBe(false);
    // What the remote build would run, and what the package leaves out of it.
    const pkg = JSON.parse(readFileSync(join(repoRoot, svc.project, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const tsconfig = /-p (\S+)/.exec(pkg.scripts.build!)![1]!;
    const funcignore = readFileSync(join(repoRoot, '.funcignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(funcignore).toContain(`/${tsconfig}`);
    // A local build keeps node_modules in the package (azd's rule: remoteBuild false must not ignore it).
    expect(funcignore.filter((l) => /^\/?node_modules\/?$/.test(l))).toEqual([]);
  });

  it('the Function App carries the azd-service-name tag of that service', () => {
    const app = readBicep('infra/modules/functionapp.bicep');
    const site = app.resources.find((r) => r.type === 'Microsoft.Web/sites' && !r.existing)!;
    const tags = objectPath(declarationBody(site.node)!, 'tags')!;
    const name = Object.keys(azd.services)[0]!;
    expect(tags.text).toContain(`'azd-service-name': '${name}'`);
    expect(literalString(objectPath(declarationBody(site.node)!, 'kind'))).toBe('functionapp,linux');
  });
});
