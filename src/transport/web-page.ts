import { readdirSync, readFileSync } from 'node:fs';

/**
 * docs/web.md, "Security": every answer forbids what the page never does, so that a text
 * that slipped through as HTML still could not run, load or frame anything.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  json: 'application/json',
  webmanifest: 'application/manifest+json',
};

/** The page's files (dist/web), read once: path → type and bytes. `/` is index.html. */
export function loadPage(dir: URL): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return files;
  }
  for (const name of names) {
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    // Source maps and anything unknown stay on disk: only what the page needs is served.
    if (type === undefined) continue;
    const body = readFileSync(new URL(name, dir));
    files.set(`/${name}`, { type, body });
    if (name === 'index.html') files.set('/', { type, body });
  }
  return files;
}

/** Where the page's files are once built: dist/web, beside dist/src. */
export const PAGE_DIR = new URL('../../web/', import.meta.url);
