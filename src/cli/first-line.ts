/** The first line of TEXT without its line end: how passwords are read from files and stdin. */
export function firstLine(text: string): string {
  return text.split('\n')[0]?.replace(/\r$/, '') ?? '';
}
