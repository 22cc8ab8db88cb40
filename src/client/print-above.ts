import readline from 'node:readline';

/**
 * Prints TEXT above the prompt and redraws the prompt with the user's half-typed line,
 * cursor where it was. The input may wrap over several rows: we clear from the row the
 * prompt starts on. readline's redraw moves up by `prevRows` (the cursor's row at its last
 * redraw, not updated while plain typing), so we tell it the prompt now starts right here.
 *
 * PROMPT, when given, is drawn instead of the one on the screen (a count in it went up).
 * Only after the old one is cleared: the rows to go up are those of the prompt on the
 * screen, and a longer prompt can wrap the half-typed line onto one more row.
 */
export function printAbove(rl: readline.Interface, output: NodeJS.WritableStream, text: string, prompt?: string): void {
  readline.moveCursor(output, 0, -rl.getCursorPos().rows);
  readline.cursorTo(output, 0);
  readline.clearScreenDown(output);
  output.write(`${text}\n`);
  if (prompt !== undefined) rl.setPrompt(prompt);
  (rl as unknown as { prevRows: number }).prevRows = 0;
  rl.prompt(true);
}
