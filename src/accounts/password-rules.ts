import { DEFAULT_MAX_LINE } from '../protocol/defaults.js';
import { brokenRule } from '../protocol/password-rules.js';

/** Why PASSWORD could never log in as NAME, in words for `chat-server passwd`, or undefined if it can (brokenRule). */
export function passwordProblem(name: string, password: string, maxLine = DEFAULT_MAX_LINE): string | undefined {
  const broken = brokenRule(name, password, maxLine);
  switch (broken?.rule) {
    case undefined:
      return undefined;
    case 'empty':
      return 'the password is empty';
    case 'control':
      return `the password has a control character (${broken.code}), which the server removes from every line: it could never log in`;
    case 'too-long':
      return (
        `the password is ${broken.bytes} bytes long, but a login line "#${name} PASSWORD" carries at most ` +
        `${maxLine} bytes, so the password of ${name} can be at most ${broken.max} bytes`
      );
  }
}
