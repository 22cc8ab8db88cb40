// What the page does with texts before they reach the DOM: links, mentions, lines, times.
// Pure: the DOM layer (page-view.ts) only ever puts these into textContent and a checked href.

/** A piece of a message: plain text, or a link whose href is an http(s) URL and nothing else. */
export interface Segment {
  text: string;
  href?: string;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;

/** What may end a URL in running text but rarely belongs to it: `see http://x.org/a.` */
const TRAILING = /[.,;:!?'*]+$/;

/**
 * TEXT cut into plain text and links. Only `http:` and `https:` become links, checked by the
 * URL parser after matching: `javascript:`, `data:` and the rest are always plain text.
 */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const m of text.matchAll(URL_RE)) {
    let raw = m[0].replace(TRAILING, '');
    // A closing parenthesis belongs to the URL only if it opened one: (see http://x.org/a_(b))
    while (raw.endsWith(')') && count(raw, '(') < count(raw, ')')) raw = raw.slice(0, -1).replace(TRAILING, '');
    const href = httpHref(raw);
    if (href === undefined) continue;
    if (m.index > at) out.push({ text: text.slice(at, m.index) });
    out.push({ text: raw, href });
    at = m.index + raw.length;
  }
  if (at < text.length || out.length === 0) out.push({ text: text.slice(at) });
  return out;
}

function count(text: string, c: string): number {
  return text.split(c).length - 1;
}

/** RAW's URL when it parses as http(s) with a host, else undefined. */
export function httpHref(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Whether TEXT names NICK as a word (names are letters, digits, `_` and `-`), without regard to case. */
export function mentions(text: string, nick: string): boolean {
  if (nick === '') return false;
  const escaped = nick.replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`);
  return new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`, 'i').test(text);
}

/** The lines of a typed or pasted TEXT that hold something: each is one message. */
export function messageLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => line.trim() !== '');
}

const encoder = new TextEncoder();

/**
 * TEXT in pieces of at most MAX UTF-8 bytes, cut at a space when one is in the second half of a
 * piece, never inside a character: an IRC line is 512 bytes with the command and the prefix
 * the server adds, and a longer one is refused (417), not cut.
 */
export function splitBytes(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (encoder.encode(rest).length > max) {
    let bytes = 0;
    let end = 0;
    for (const ch of rest) {
      const size = encoder.encode(ch).length;
      if (bytes + size > max) break;
      bytes += size;
      end += ch.length;
    }
    const space = rest.lastIndexOf(' ', end);
    const cut = space > end / 2 ? space : end;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  if (rest !== '' || pieces.length === 0) pieces.push(rest);
  return pieces;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** A message's time as the page shows it: `14:03` today, `2026-11-27 14:03` another day (local time). */
export function shortTime(iso: string, now: Date): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '';
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  const sameDay = t.getFullYear() === now.getFullYear() && t.getMonth() === now.getMonth() && t.getDate() === now.getDate();
  return sameDay ? time : `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${time}`;
}
