/**
 * A payload, result or error as the API gives it: `{size, text}` for UTF-8 or `{size, base64}`,
 * maybe cut to the server's preview size (`truncated`). Says which, and how big the whole is.
 */
import { fmtBytes, type Bytes } from '../format';

export function BytesBlock(props: { title: string; bytes: Bytes | null; empty: string; testId?: string; tone?: 'bad' }) {
  const b = props.bytes;
  return (
    <div class="panel" data-testid={props.testId}>
      <div class="bytes-head">
        <strong class={props.tone === 'bad' ? 'bad-text' : ''}>{props.title}</strong>
        {b ? (
          <span>
            {fmtBytes(b.size)}
            {b.base64 !== undefined ? ' · binary, shown as base64' : ''}
            {b.truncated ? ` · truncated: the server keeps a preview of the first ${fmtBytes(previewSize(b))}` : ''}
          </span>
        ) : null}
      </div>
      {b === null ? <p class="muted">{props.empty}</p> : b.size === 0 ? <p class="muted">empty (0 bytes)</p> : <pre>{b.text ?? b.base64}</pre>}
    </div>
  );
}

/** Bytes shown in a cut preview (base64 is 4 characters per 3 bytes). */
function previewSize(b: Bytes): number {
  if (b.text !== undefined) return new TextEncoder().encode(b.text).length;
  const s = b.base64 ?? '';
  return Math.floor((s.length * 3) / 4) - (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0);
}
