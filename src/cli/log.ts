import type { ChalkInstance } from 'chalk';
import { isoTime } from '../ops/iso-time.js';
import { forLog } from '../ops/redact.js';
import type { ServerEvent } from '../server/events.js';

/** One stderr line per server event, with a timestamp; colour only when chalk has a level. */
export function formatEvent(original: ServerEvent, chalk: ChalkInstance, now = Date.now()): string {
  const event = forLog(original);
  const stamp = chalk.gray(isoTime(now));
  const who = (name: string | undefined, peer: string): string => (name ? `${chalk.bold(name)} (${peer})` : peer);
  switch (event.type) {
    case 'connect':
      return `${stamp} ${chalk.green('connect')} ${event.peer}`;
    case 'register':
      return `${stamp} ${chalk.green('register')} ${who(event.name, event.peer)}`;
    case 'rename':
      return `${stamp} ${chalk.cyan('rename')} ${event.from} -> ${who(event.to, event.peer)}`;
    case 'leave':
      return `${stamp} ${chalk.yellow('leave')} ${who(event.name, event.peer)}: ${event.reason}`;
    case 'reject':
      return `${stamp} ${chalk.red('reject')} ${who(event.name, event.peer)}: ${event.reason}`;
    case 'moderation':
      return `${stamp} ${chalk.magenta(event.action)} ${chalk.bold(event.name)} by ${event.by}${event.reason ? `: ${event.reason}` : ''}`;
    case 'notice':
      return `${stamp} ${chalk.blue('notice')} ${event.message}`;
    case 'error':
      return `${stamp} ${chalk.red('error')} ${event.message}`;
  }
}
