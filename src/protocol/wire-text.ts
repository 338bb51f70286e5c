/**
 * Function names, uniques and other texts travel as bytes. The engine keeps them as latin1 strings
 * (one char per byte, byte-exact); people — the HTTP API, metrics labels, logs — read and write
 * them as UTF-8. These two conversions are the only crossing between the two.
 */

/** A wire string (latin1, one char per byte) as people read it: its bytes decoded as UTF-8. */
export function wireText(wire: string): string {
  return Buffer.from(wire, 'latin1').toString('utf8');
}

/** Text as people wrote it, as the engine's wire string: its UTF-8 bytes, one char per byte. */
export function toWire(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}
