import { parseCommand } from '../dialects/line/parse.js';
import { recognisePasswdAnswer } from '../dialects/line/recognise.js';
import type { ServerLine } from '../dialects/line/server-line.js';

/** `/passwd` typed alone: the client asks for the passwords, hidden (docs/client.md). */
export const asksPasswords = (line: string): boolean => /^\/passwd[ \t]*$/i.test(line);

/** The new password of a `/passwd OLD NEW` line, as the server reads it; undefined for any other line. */
export function newPasswordIn(line: string): string | undefined {
  const cmd = parseCommand(line);
  return cmd.kind === 'passwd' && cmd.old !== '' && cmd.new !== '' ? cmd.new : undefined;
}

/** Whether a typed line holds a password (`/passwd OLD`, with or without NEW), as the server reads it: no history keeps it. */
export function carriesPasswords(line: string): boolean {
  const cmd = parseCommand(line);
  return cmd.kind === 'passwd' && cmd.old !== '';
}

/**
 * The line that changes the password OLD to NEW, or why none can: the server reads OLD as
 * one word and NEW as all after the blanks that follow it (docs/protocol.md, "Your
 * account"), so the line is read back as the server would read it.
 */
export function passwdLine(old: string, fresh: string, maxLine: number): { send: string } | { problem: string } {
  if (old === '' || fresh === '') return { problem: 'a password cannot be empty' };
  const send = `/passwd ${old} ${fresh}`;
  const cmd = parseCommand(send);
  if (cmd.kind !== 'passwd' || cmd.old !== old) {
    return { problem: "your password has a blank in it, which /passwd cannot carry: ask the server's operator to change it (chat-server passwd)" };
  }
  if (cmd.new !== fresh) return { problem: 'a new password cannot start with a blank' };
  if (Buffer.byteLength(send) > maxLine) return { problem: `the two passwords do not fit in one line of ${maxLine} bytes` };
  return { send };
}

/**
 * What `/passwd` typed alone sends: ASK (a hidden prompt; undefined when given up) is asked
 * for the current password and the new one, twice; the line, or why there is none.
 */
export async function askPasswords(ask: (question: string) => Promise<string | undefined>, maxLine: number): Promise<{ send: string } | { problem: string }> {
  const old = await ask('Current password');
  const fresh = old === undefined ? undefined : await ask('New password');
  const again = fresh === undefined ? undefined : await ask('New password again');
  if (old === undefined || fresh === undefined || again === undefined) return { problem: 'given up' };
  if (again !== fresh) return { problem: 'the two new passwords differ' };
  return passwdLine(old, fresh, maxLine);
}

/**
 * The /passwd lines sent on one connection whose answer has not come: their new passwords,
 * oldest first (answers come in the order of the requests, docs/protocol.md).
 */
export class PasswdAnswers {
  #pending: string[] = [];

  sent(fresh: string): void {
    this.#pending.push(fresh);
  }

  /** A line from the server: the new password once the server says it is the account's. */
  take(line: ServerLine): string | undefined {
    if (this.#pending.length === 0) return undefined;
    const answer = recognisePasswdAnswer(line);
    if (answer === undefined) return undefined;
    const fresh = this.#pending.shift();
    return answer === 'changed' ? fresh : undefined;
  }

  /** The connection is gone, and its answers with it. */
  clear(): void {
    this.#pending = [];
  }
}
