/**
 * Plain-text output for the client commands: aligned tables and colours, which are used only when
 * stdout is a terminal and NO_COLOR is unset, so piped output stays clean.
 */

export const colourEnabled = (stream: NodeJS.WriteStream = process.stdout): boolean =>
  stream.isTTY === true && (process.env.NO_COLOR ?? '') === '' && process.env.TERM !== 'dumb';

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof CODES;

export function paint(style: Style, text: string, on = colourEnabled()): string {
  if (!on || text === '') return text;
  const [open, close] = CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/** The colour a job or schedule state is shown in. */
export function stateStyle(state: string): Style {
  switch (state) {
    case 'completed': return 'green';
    case 'failed': return 'red';
    case 'running': return 'cyan';
    case 'scheduled': return 'blue';
    case 'queued': return 'yellow';
    default: return 'dim';
  }
}

const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string) => [...s.replace(ANSI, '')].length;

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Columns separated by two spaces, headers in bold; trailing spaces trimmed. */
export function renderTable(columns: Column[], rows: string[][], on = colourEnabled()): string {
  const widths = columns.map((c, i) => Math.max(visible(c.header), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((cell, i) => {
    const gap = ' '.repeat(widths[i]! - visible(cell));
    return columns[i]!.align === 'right' ? gap + cell : cell + gap;
  }).join('  ').replace(/\s+$/, '');
  const header = line(columns.map((c) => paint('bold', c.header, on)));
  return [header, ...rows.map(line)].join('\n') + '\n';
}

/** `label  value` lines with the labels aligned. */
export function renderFields(fields: [string, string][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

/** A payload or result as one readable line: text quoted when it needs it, cut at `max` characters. */
export function bytesLine(b: { size: number; text?: string; base64?: string; truncated: boolean } | null, max = 120): string {
  if (b === null) return '-';
  const unit = b.size === 1 ? 'byte' : 'bytes';
  if (b.size === 0) return '(empty)';
  let shown: string;
  if (b.text !== undefined) {
    const plain = /^[^\u0000-\u001f\u007f"]*$/.test(b.text) && b.text.trim() === b.text;
    shown = plain ? b.text : JSON.stringify(b.text);
  } else {
    shown = `base64:${b.base64 ?? ''}`;
  }
  const cut = [...shown].length > max;
  if (cut) shown = `${[...shown].slice(0, max).join('')}…`;
  return `${shown}  (${b.size} ${unit}${b.truncated || cut ? ', cut' : ''})`;
}
