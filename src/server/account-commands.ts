import { TooManyWaitingError, type Authenticator } from '../accounts/authenticator.js';
import type { Member } from '../hub/hub.js';
import type { PasswordRefusal, RefusalCode } from '../protocol/codes.js';
import { brokenRule } from '../protocol/password-rules.js';
import { reject, reply, type Action } from './actions.js';
import type { Command } from './command.js';
import type { Words } from './dialect.js';

/** What the account's commands read of their context (commands.ts: CommandContext). */
export interface AccountContext {
  readonly self: Member;
  readonly auth: Authenticator | undefined;
  readonly address: string;
  readonly w: Words;
  readonly maxLine?: number;
}

/**
 * `/passwd OLD NEW` (docs/protocol.md, "Your account"): OLD is checked as a login's password
 * is (the same throttle per address, the same padding of a failure, counted against the
 * connection like a failed login), then the account store keeps NEW. Neither password goes
 * anywhere but to the store: not into a reply, nor into a log's detail.
 */
export function passwd(ctx: AccountContext, cmd: Extract<Command, { kind: 'passwd' }>): Action[] | Promise<Action[]> {
  const { auth, self, w } = ctx;
  const name = self.name ?? '';
  if (cmd.old === '' || cmd.new === '') return [reply(w.passwdUsage())];
  if (auth === undefined) return refused(w, 'no-accounts', 'no accounts on this server');
  // docs/running.md, "Guests": a guest's name is no account, and has no password.
  if (!auth.has(name)) return refused(w, 'guest', 'a guest');
  // Said before the old password is checked: nothing is learnt of it, and no check is spent.
  const broken = brokenRule(name, cmd.new, ctx.maxLine);
  if (broken?.rule === 'too-long') return refused(w, 'new-too-long', `${broken.bytes} bytes, at most ${broken.max}`, broken.max);
  if (broken !== undefined) return refused(w, 'new-control', broken.rule === 'control' ? broken.code : broken.rule);
  return auth.authenticate(name, cmd.old, ctx.address, self.signal).then(
    async (ok): Promise<Action[]> => {
      // Work for a connection dies with it: nobody is left to be told, so nothing changes.
      if (self.signal?.aborted) return [];
      // Logged before it is counted: the count may close the connection, and what follows a close is not carried out.
      if (!ok || !auth.has(name)) return [reply(w.authenticationFailed()), reject('auth-failed', name), { kind: 'authFailed' }];
      if (auth.setPassword === undefined) return refused(w, 'file-error', 'the accounts of this server cannot be changed');
      // A failing hash, say: its message holds no password.
      const notSet = await auth.setPassword(name, cmd.new).catch((err: unknown) => ({ why: 'file-error' as const, detail: (err as Error).message }));
      return notSet === undefined ? [reply(w.passwordChanged())] : refused(w, notSet.why, notSet.detail);
    },
    (err: unknown) => {
      if (!(err instanceof TooManyWaitingError)) throw err;
      return [reply(w.loginsWaiting()), reject('logins-waiting', ctx.address)];
    },
  );
}

/** The answer for WHY, and the refusal for the log, whose DETAIL says what the operator needs to know. */
function refused(w: Words, why: PasswordRefusal, detail: string, max?: number): Action[] {
  return [reply(w.passwordNotChanged(why, max)), reject(refusalOf(why), detail)];
}

function refusalOf(why: PasswordRefusal): RefusalCode {
  switch (why) {
    case 'no-accounts':
    case 'guest':
    case 'account-gone':
      return 'no-account';
    case 'new-too-long':
    case 'new-control':
      return 'bad-new-password';
    default:
      return 'passwords-unchangeable';
  }
}
