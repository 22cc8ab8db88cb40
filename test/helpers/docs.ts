import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder (tests run from dist/test/...). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** README.md and every page under docs/, by their path from the project folder. */
export function docPages(): Map<string, string> {
  const pages = new Map<string, string>([['README.md', readFileSync(join(ROOT, 'README.md'), 'utf8')]]);
  for (const name of readdirSync(join(ROOT, 'docs'))
    .filter((n) => n.endsWith('.md'))
    .sort()) {
    pages.set(`docs/${name}`, readFileSync(join(ROOT, 'docs', name), 'utf8'));
  }
  return pages;
}

/** The text of one page, by its path from the project folder (`docs/udp.md`). */
export function docPage(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/**
 * The fenced block right after the HTML comment `<!-- MARKER -->` (on a line of its own), in whichever page of
 * README.md and docs/ holds it (exactly one must), with the indentation of its fence
 * (a block inside a list item) taken off every line.
 */
export function docBlock(marker: string): { page: string; block: string } {
  const tag = `<!-- ${marker} -->`;
  // The marker on a line of its own: a page may name it in its text.
  const at = (text: string): number => text.split('\n').findIndex((line) => line.trim() === tag);
  const holders = [...docPages()].filter(([, text]) => at(text) >= 0);
  assert.equal(
    holders.length,
    1,
    `exactly one page of README.md and docs/ has the marker ${tag} on a line of its own; found: ${holders.map(([p]) => p).join(', ') || 'none'}`,
  );
  const [page, text] = holders[0]!;
  const after = text
    .split('\n')
    .slice(at(text) + 1)
    .join('\n');
  const m = /^([ \t]*)```\w*\n([\s\S]*?)\n\1```/m.exec(after);
  assert.ok(m?.[2] !== undefined, `a fenced block follows ${tag} in ${page}`);
  const indent = m[1]!;
  const block = m[2]
    .split('\n')
    .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
    .join('\n');
  return { page, block };
}
