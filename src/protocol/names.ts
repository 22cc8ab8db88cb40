/** docs/protocol.md: NAME is 1 to 32 characters of A-Z a-z 0-9 _ -. */
export const NAME_MAX = 32;
export const NAME_PATTERN = `[A-Za-z0-9_-]{1,${NAME_MAX}}`;
const VALID = new RegExp(`^${NAME_PATTERN}$`);

export function isValidName(name: string): boolean {
  return VALID.test(name);
}

/** Names are unique without regard to case: this is the key they are compared by. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}
