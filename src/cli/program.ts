import { type Command, type CommanderError, InvalidArgumentError } from 'commander';
import { redisTarget } from '../redis/connection.js';

/** Usage errors exit 2 in both commands (docs/client.md, "Exit codes"). */
export const USAGE_ERROR = 2;

/** A whole number in [min, max], or a sentence that says what is wanted. */
export function wholeNumber(what: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`${what[0]!.toUpperCase()}${what.slice(1)} must be a whole number ${range}.`);
    }
    return n;
  };
}

/**
 * Parses argv; help and --version exit 0, every usage error exits 2 after commander has
 * printed its one-line message.
 */
export function parseOrExit(program: Command, argv: readonly string[]): void {
  // Subcommands (chat-server passwd) too: each has its own override.
  for (const command of [program, ...program.commands]) {
    command.exitOverride((err: CommanderError) => {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exit(ok ? 0 : USAGE_ERROR);
    });
  }
  program.parse(argv as string[]);
}

/** A host name or address: anything but empty, which would silently mean every interface. */
export function hostName(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('The host must not be empty (use 0.0.0.0 for every interface).');
  return value.trim();
}

/** A Redis URL: ioredis would read "localhost:6379" as something else, so a scheme is required. */
export function redisUrl(value: string): string {
  const target = redisTarget(value);
  if (target === undefined) {
    throw new InvalidArgumentError(
      '--redis must be a URL such as redis://127.0.0.1:6379 (rediss:// for TLS), or redis+sentinel://HOST:PORT,HOST:PORT/MASTER for Redis run by Sentinel.',
    );
  }
  if (target.db === undefined) {
    throw new InvalidArgumentError('The database in --redis must be a number, as in redis://127.0.0.1:6379/2.');
  }
  return value;
}

/** A usage error found after parsing: one sentence, exit 2. */
export function usageError(command: string, message: string): never {
  process.stderr.write(`${command}: ${message}\n`);
  process.exit(USAGE_ERROR);
}
