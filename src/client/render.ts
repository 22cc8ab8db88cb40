import type { ChalkInstance } from 'chalk';
import type { ServerLine } from '../protocol/server-line.js';

export interface RenderOptions {
  chalk: ChalkInstance;
  /** Our own name, highlighted wherever it appears. */
  self: string | undefined;
}

/** One server line as the interactive client shows it, coloured by kind. Pure. */
export function renderLine(line: ServerLine, { chalk, self }: RenderOptions): string {
  const mark = (text: string): string => highlight(text, self, chalk);
  switch (line.kind) {
    case 'direct':
      return chalk.magenta(`${chalk.bold(`*${line.from}*`)} ${mark(line.text)}`);
    case 'room':
      return `${chalk.cyan(`<${mark(line.from)}>`)} ${mark(line.text)}`;
    case 'notice':
      return chalk.gray(`* ${mark(line.text)}`);
    case 'error':
      return chalk.red(`! ${line.text}`);
    case 'other':
      return line.text;
  }
}

function highlight(text: string, self: string | undefined, chalk: ChalkInstance): string {
  if (!self || chalk.level === 0) return text;
  const escaped = self.replace(/[-]/g, '\\-');
  return text.replace(new RegExp(`(?<![A-Za-z0-9_-])${escaped}(?![A-Za-z0-9_-])`, 'gi'), (m) =>
    chalk.yellow.bold(m),
  );
}

/** Local time as `HH:MM`, shown before each received line. Pure. */
export function timestamp(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}`;
}
