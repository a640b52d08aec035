// Static page files, read once from functions/ui/assets and served with strict headers.
// The files are plain text in the repo (no bundler); the HTML gets its base paths filled
// in per request so the page works under any route prefix.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Everything the page loads comes from this origin; no inline script or style, no frames,
 * no plugins. `img-src data:` is not needed (the chart is inline SVG built by the script).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every UI response (page, assets and the UI's JSON). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** Served asset names → content type. Anything else is a 404 (no path is ever joined from input). */
export const ASSET_TYPES: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

export interface Asset {
  body: string;
  contentType: string;
  etag: string;
}

/**
 * Under tsx the assets sit next to this module; after `tsc` the module runs from
 * dist/functions/ui while the assets stay in functions/ui/assets (tsc copies no .html/.css),
 * so look there too. Deployment packages must include functions/ui/assets.
 */
function assetDir(): string {
  const candidates = [new URL('./assets/', import.meta.url), new URL('../../../functions/ui/assets/', import.meta.url)];
  for (const c of candidates) {
    const dir = fileURLToPath(c);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error(`KubeSift UI assets not found (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')})`);
}

const cache = new Map<string, string>();
function readAsset(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(`${assetDir()}${name}`, 'utf8');
    cache.set(name, text);
  }
  return text;
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/** A static asset by name, or undefined when it is not one we serve. */
export function staticAsset(name: string): Asset | undefined {
  const contentType = Object.hasOwn(ASSET_TYPES, name) ? ASSET_TYPES[name] : undefined;
  if (!contentType) return undefined;
  const body = readAsset(name);
  return { body, contentType, etag: etagOf(body) };
}

/**
 * The page path prefix from the request path: "/api/ui/" → "/api/ui", and the API prefix
 * next to it ("/api"). Only safe path characters pass, so nothing from the URL can break
 * out of the attribute it is written into.
 */
export function pagePaths(pathname: string): { base: string; api: string } {
  const trimmed = pathname.replace(/\/+$/, '');
  const base = /^[A-Za-z0-9/_-]*\/ui$/.test(trimmed) ? trimmed : '/api/ui';
  return { base, api: base.slice(0, -'/ui'.length) };
}

export function pageHtml(pathname: string): Asset {
  const { base, api } = pagePaths(pathname);
  const body = readAsset('index.html').replaceAll('%BASE%', base).replaceAll('%API%', api);
  return { body, contentType: 'text/html; charset=utf-8', etag: etagOf(body) };
}
