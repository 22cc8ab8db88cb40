import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { docPage, ROOT } from '../helpers/docs.js';

/** The built page, as the server serves it. */
const WEB = join(ROOT, 'dist', 'web');
const SRC = join(ROOT, 'src', 'web');

const built = (): Map<string, string> => new Map(readdirSync(WEB).map((name) => [name, readFileSync(join(WEB, name), 'utf8')]));

test('dist/web: index.html, its style sheet and its modules, each module found where it is imported', () => {
  const files = built();
  assert.ok(files.has('index.html') && files.has('style.css') && files.has('page.js'), [...files.keys()].join(' '));
  for (const [name, text] of files) {
    if (!name.endsWith('.js')) continue;
    for (const m of text.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'/g)) {
      const spec = m[1] ?? m[2]!;
      assert.match(spec, /^\.\/[\w-]+\.js$/, `${name} imports ${spec}: only files of the page, by a relative name`);
      assert.ok(files.has(spec.slice(2)), `${name} imports ${spec}, which is not in dist/web`);
    }
  }
  assert.ok(![...files.keys()].some((n) => n.endsWith('.map') || n.endsWith('.ts')), 'no source maps nor sources served');
});

test('index.html and style.css: no inline script, style or handler, nothing fetched from elsewhere (the CSP would refuse it)', () => {
  const html = readFileSync(join(SRC, 'index.html'), 'utf8');
  const css = readFileSync(join(SRC, 'style.css'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.deepEqual(
    scripts.map((m) => [m[1]!.trim(), m[2]!.trim()]),
    [['type="module" src="page.js"', '']],
  );
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
  assert.doesNotMatch(html, /(?:src|href)="(?!page\.js"|style\.css")/, 'only the page files are linked');
  assert.doesNotMatch(css, /url\(|@import/);
  // Every form control is labelled (the browser test checks the ones made later).
  for (const m of html.matchAll(/<(?:input|textarea)\b[^>]*\bid="([^"]+)"/g)) assert.match(html, new RegExp(`<label for="${m[1]}"`), `no label for #${m[1]}`);
});

test('the page code never writes HTML from text, never evaluates text, and stores the nick alone', () => {
  for (const name of readdirSync(SRC).filter((n) => n.endsWith('.ts'))) {
    const code = readFileSync(join(SRC, name), 'utf8');
    assert.doesNotMatch(code, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\('(?:href|src|style|on)/, name);
    assert.doesNotMatch(code, /sessionStorage|indexedDB|document\.cookie/, name);
    for (const m of code.matchAll(/localStorage\.setItem\(([^,]+),/g)) assert.equal(m[1], 'NICK_KEY', `${name} stores ${m[1]}`);
  }
});

/** The size docs/web.md gives: "N bytes (G bytes gzipped)". */
function documented(): { bytes: number; gzipped: number } {
  const m = /dist\/web`\s+is\s+([\d,]+)\s+bytes\s+\(([\d,]+)\s+gzipped\)/.exec(docPage('docs/web.md'));
  assert.ok(m, 'docs/web.md says how big the page is: "`dist/web` is N bytes (G gzipped)"');
  return { bytes: Number(m[1]!.replaceAll(',', '')), gzipped: Number(m[2]!.replaceAll(',', '')) };
}

test('the page is small, and docs/web.md says how small within 10 %', () => {
  let bytes = 0;
  let gzipped = 0;
  for (const text of built().values()) {
    bytes += Buffer.byteLength(text);
    gzipped += gzipSync(text, { level: 9 }).length;
  }
  assert.ok(bytes < 100_000, `the page is ${bytes} bytes`);
  const doc = documented();
  assert.ok(Math.abs(bytes - doc.bytes) <= doc.bytes * 0.1, `dist/web is ${bytes} bytes; docs/web.md says ${doc.bytes}`);
  assert.ok(Math.abs(gzipped - doc.gzipped) <= doc.gzipped * 0.1, `dist/web is ${gzipped} bytes gzipped; docs/web.md says ${doc.gzipped}`);
});
