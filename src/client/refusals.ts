import type { LoginError } from '../dialects/line/recognise.js';

/** What to do after `! too many devices logged in as NAME (max N)`: logging in again cannot help. */
export const TOO_MANY_DEVICES_HINT = 'Leave the chat on one of your other devices (/quit there), then try again.';
/** What a banned account is told to do (exit 3: asking again cannot help). */
export const BANNED_HINT = "Ask one of the server's operators to lift the ban (/unban NAME).";
/** Where a script's password comes from (never an argument: ps shows arguments). */
export const PASSWORD_HINT = 'Give the password with --password-file FILE or CHAT_PASSWORD.';

/**
 * A login refused with ERROR that the client cannot answer itself (exit 3), said: REASON
 * (the server's words, or the client's own), then what to do, when there is more to say
 * than REASON, else OTHERWISE: `banned: spam. Ask one of ...`. A terminal asks for a
 * missing password instead: PASSWORD_HINT is for scripts. Pure.
 */
export function refusal(reason: string, error: LoginError | undefined, otherwise?: string): string {
  const hint = refusalHint(error) ?? otherwise;
  return hint === undefined ? `${reason}.` : `${reason}. ${hint}`;
}

function refusalHint(error: LoginError | undefined): string | undefined {
  switch (error) {
    case 'too-many-devices':
      return TOO_MANY_DEVICES_HINT;
    case 'banned':
      return BANNED_HINT;
    case 'password-required':
      return PASSWORD_HINT;
    default:
      return undefined;
  }
}
