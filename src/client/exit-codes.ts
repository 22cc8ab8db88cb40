/** chat-client's exit codes, as --help and README list them. */
export enum ExitCode {
  Ok = 0,
  /** Could not connect, or the connection was lost. */
  ConnectionLost = 1,
  Usage = 2,
  /** The server refused the name: taken or invalid. */
  RegistrationRefused = 3,
  /** --expect's line did not come, or the run did not finish, within --timeout. */
  Timeout = 4,
}
