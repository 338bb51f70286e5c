/**
 * Progress of a long operation on one line: on a terminal a bar redrawn in place (carriage return
 * and erase-to-end-of-line), elsewhere a plain line now and then, so logs and pipes get readable
 * text instead of control characters.
 */

/** `[██████░░░░░░░░]` for a fraction 0..1 (clamped). */
export function bar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}]`;
}

export class ProgressLine {
  private drawn = false;
  private lastPlain = '';
  private lastPlainAt = 0;

  /**
   * @param tty redraw in place (a terminal) or print lines
   * @param plainEveryMs at most one plain line per this many ms, unless the text is final
   */
  constructor(
    private readonly out: (text: string) => void,
    private readonly tty: boolean,
    private readonly plainEveryMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows `ttyText` in place on a terminal, or prints `plainText` when it changed (throttled; '' = nothing). */
  update(ttyText: string, plainText: string): void {
    if (this.tty) {
      this.out(`\r${ttyText}\u001b[K`);
      this.drawn = true;
      return;
    }
    if (plainText === '' || plainText === this.lastPlain || this.now() - this.lastPlainAt < this.plainEveryMs) return;
    this.out(`${plainText}\n`);
    this.lastPlain = plainText;
    this.lastPlainAt = this.now();
  }

  /** Ends the line on a terminal so what follows starts on a fresh one. */
  done(): void {
    if (this.tty && this.drawn) this.out('\n');
    this.drawn = false;
  }
}
