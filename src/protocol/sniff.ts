/**
 * Whether the first bytes of a connection are a TLS ClientHello: a handshake record (0x16)
 * of TLS 1.x (0x03 0x01-0x04). No chat line starts that way: 0x16 is a control character.
 */
export function looksLikeTlsHello(first: Buffer): boolean {
  return first.length >= 3 && first[0] === 0x16 && first[1] === 0x03 && (first[2] ?? 0) <= 0x04;
}
