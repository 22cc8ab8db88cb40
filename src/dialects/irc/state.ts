/**
 * One IRC connection's state, shared by its parser (voice.ts) and its words (words.ts):
 * registration as IRC does it (NICK, USER, CAP, PASS, SASL before the name is taken), the
 * capabilities negotiated, and the channels the client was told it joined.
 */
export class IrcState {
  /** The nick as the client knows it: asked for before registration, registered after. */
  nick: string | undefined = undefined;
  /** The nick of the registration or rename in flight (for 432, 433). */
  asked: string | undefined = undefined;
  /** USER was given, with these (shown by WHO and WHOIS; the nick stands in until then). */
  user = false;
  username = '';
  realname = '';
  /** PASS, for an account's name without SASL. */
  password: string | undefined = undefined;
  /** CAP LS or REQ before registration: it waits for CAP END. */
  negotiating = false;
  /** CAP LS 302 (or later) was asked: values are shown, cap-notify is implied. */
  v302 = false;
  readonly caps = new Set<string>();
  /** The form of room events for these capabilities (render.ts), kept with them. */
  form = 0;
  /** echo-message, kept with the capabilities too: it is asked of every message sent. */
  echo = false;
  /** The register command is in flight: NICK and USER do not send another. */
  registering = false;
  registered = false;
  /** SASL PLAIN: an exchange in progress, its chunks so far, and what it proved. */
  sasl = false;
  saslChunks = '';
  saslPending = false;
  saslAccount: string | undefined = undefined;
  saslPassword: string | undefined = undefined;
  /** The device SASL's authcid named (`NAME@DEVICE`), for its catch-up. */
  saslDevice: string | undefined = undefined;
  /** OPER's password is being checked (the `authenticate` command answers it). */
  operPending = false;
  operator = false;
  /** User mode +i: WHO masks do not show this user to strangers. */
  invisible = false;
  /** The connection has closed: the registry takes it no more (a claim answered after the close). */
  closed = false;
  /** Channels the client was told it is in (JOIN sent), by lower-case name, as shown. */
  readonly joined = new Map<string, string>();
  /** Batches of history sent so far: each one's id is the next (chathistory.ts). */
  batches = 0;
}
