/** chat-client's exit codes, as --help and docs/client.md list them. */
export enum ExitCode {
  Ok = 0,
  /**
   * Could not connect, the server would not take us (full), or the connection was lost
   * (--no-reconnect, scripting mode) or closed by the server on purpose (idle, account removed).
   */
  ConnectionLost = 1,
  Usage = 2,
  /**
   * The server refused the login, or a reconnect's, and asking again cannot help: a --name
   * taken or invalid, too many devices, the account banned, no password in scripting mode;
   * or the connection closed after too many failed logins.
   */
  RegistrationRefused = 3,
  /** --expect's line did not come, or the run did not finish, within --timeout. */
  Timeout = 4,
  /** --strict: the server answered our input with an error line (`! ...`). */
  ServerError = 5,
  /**
   * Ctrl-C or Ctrl-D at the name or password prompt (a reconnect's too): left before logging
   * in (128 + SIGINT, as shells report ^C).
   */
  Interrupted = 130,
}
