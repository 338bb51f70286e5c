/** `n` bytes spelling `text;` over and over: any two made from different texts differ everywhere. */
export function bytesOf(text: string, n: number): Buffer {
  return Buffer.from(`${text};`.repeat(Math.ceil(n / (text.length + 1))).slice(0, n), 'latin1');
}
