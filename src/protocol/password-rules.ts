import { stripControls } from './sanitize.js';
import { DEFAULT_MAX_LINE } from './defaults.js';

/** The rule a password breaks: `chat-server passwd` words it (src/accounts/password-rules.ts), the server's /passwd answers with a code. */
export type BrokenRule = { rule: 'empty' } | { rule: 'control'; code: string } | { rule: 'too-long'; bytes: number; max: number };

/**
 * The rule by which PASSWORD could never log in as NAME, or undefined if it can. A password
 * only ever reaches the server inside one line, `#NAME PASSWORD`, so it must survive what
 * the server does to a line: control characters are removed before the line is read
 * (docs/protocol.md), and a line longer than --max-line (4096 bytes by default) is refused.
 */
export function brokenRule(name: string, password: string, maxLine = DEFAULT_MAX_LINE): BrokenRule | undefined {
  if (password === '') return { rule: 'empty' };
  const control = [...password].find((ch) => stripControls(ch) === '');
  if (control !== undefined) return { rule: 'control', code: `U+${control.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` };
  const max = maxLine - Buffer.byteLength(`#${name} `);
  const bytes = Buffer.byteLength(password);
  return bytes > max ? { rule: 'too-long', bytes, max } : undefined;
}
