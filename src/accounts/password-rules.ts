import { stripControls } from '../protocol/sanitize.js';
import { DEFAULT_MAX_LINE } from '../protocol/defaults.js';

/**
 * Why PASSWORD could never log in as NAME, or undefined if it can. A password only ever
 * reaches the server inside one line, `#NAME PASSWORD`, so it must survive what the server
 * does to a line: control characters are removed before the line is read (docs/protocol.md),
 * and a line longer than --max-line (4096 bytes by default) is refused.
 */
export function passwordProblem(name: string, password: string, maxLine = DEFAULT_MAX_LINE): string | undefined {
  if (password === '') return 'the password is empty';
  const control = [...password].find((ch) => stripControls(ch) === '');
  if (control !== undefined) {
    const code = `U+${control.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return `the password has a control character (${code}), which the server removes from every line: it could never log in`;
  }
  const max = maxLine - Buffer.byteLength(`#${name} `);
  const bytes = Buffer.byteLength(password);
  if (bytes > max) {
    return (
      `the password is ${bytes} bytes long, but a login line "#${name} PASSWORD" carries at most ` +
      `${maxLine} bytes, so the password of ${name} can be at most ${max} bytes`
    );
  }
  return undefined;
}
