/** chat-client's exit codes, as --help and docs/client.md list them. */
export enum ExitCode {
  Ok = 0,
  /** Could not connect, or the connection was lost. */
  ConnectionLost = 1,
  Usage = 2,
  /**
   * The server refused the login and asking again cannot help: a --name taken or invalid,
   * or the connection closed after too many failed logins.
   */
  RegistrationRefused = 3,
  /** --expect's line did not come, or the run did not finish, within --timeout. */
  Timeout = 4,
  /** --strict: the server answered our input with an error line (`! ...`). */
  ServerError = 5,
  /** Ctrl-C or Ctrl-D at the name or password prompt: left before logging in (128 + SIGINT, as shells report ^C). */
  Interrupted = 130,
}
