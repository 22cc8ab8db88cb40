/**
 * The labels of `chat_lines_refused_total`. A refusal's reason is free text that may hold a
 * name, an address or a command word a client chose: used as a label it would let any client
 * make new time series without end. Each reason maps to one of these, or to 'other'.
 */
const REASONS: readonly (readonly [RegExp, string])[] = [
  [/^line too long/, 'line too long'],
  [/^not registered/, 'not registered'],
  [/^invalid name/, 'invalid name'],
  [/^invalid room/, 'invalid room'],
  [/^name taken/, 'name taken'],
  [/^no password/, 'no password'],
  [/^authentication failed/, 'authentication failed'],
  [/^too many logins waiting/, 'logins waiting'],
  [/^unknown command/, 'unknown command'],
  [/^too many rooms/, 'too many rooms'],
  [/^bad \/history/, 'bad history count'],
  [/^cluster unavailable/, 'cluster unavailable'],
  [/^server full/, 'server full'],
  [/^more than \d+ connections from /, 'too many from address'],
  [/^too many connections/, 'too many connections'],
  [/^shutting down/, 'shutting down'],
  [/^TLS handshake/, 'tls handshake'],
  [/\bbanned\b/i, 'banned'],
  [/\boperator/i, 'not an operator'],
];

/** Every label the counter can carry: a fixed, small set. */
export const REFUSAL_LABELS: readonly string[] = [...new Set(REASONS.map(([, label]) => label)), 'other'];

export function refusalLabel(reason: string): string {
  for (const [pattern, label] of REASONS) if (pattern.test(reason)) return label;
  return 'other';
}
