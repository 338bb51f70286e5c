/**
 * The client side of the HTTP API for the `gearhq` commands: JSON over Node's fetch, with the two
 * failures a user must be able to tell apart — the server cannot be reached, or it answered with
 * an error (`{error: {code, message}}`, API.md).
 */

export const DEFAULT_URL = 'http://127.0.0.1:4731';

/** The server did not answer at all (refused, unknown host, timed out). */
export class ServerUnreachable extends Error {
  override name = 'ServerUnreachable';
  constructor(readonly url: string, readonly reason: string) {
    super(`cannot reach a gearhq server at ${url} (${reason}); is \`gearhq serve\` running there? `
      + 'Point --url or GEARHQ_URL at its HTTP port');
  }
}

/** The server answered with an error (or with something that is not the API). */
export class ApiFailure extends Error {
  override name = 'ApiFailure';
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** An answer the server may not have (a route that is off there): null on 404. */
export async function unlessMissing<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 404) return null;
    throw e;
  }
}

/** The base URL from --url, else GEARHQ_URL, else the default; `host:port` gets `http://`. */
export function resolveBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  let raw = (flag ?? env.GEARHQ_URL ?? '').trim();
  if (raw === '') raw = DEFAULT_URL;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) raw = `http://${raw}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`not a URL: ${JSON.stringify(flag ?? env.GEARHQ_URL)} (try http://127.0.0.1:4731)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`--url must be http:// or https://, got ${url.protocol}`);
  return url.toString().replace(/\/+$/, '');
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
  UND_ERR_SOCKET: 'connection closed',
};

function unreachableReason(e: unknown): string {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
  const code = err.cause?.code ?? err.cause?.errors?.[0]?.code ?? err.code;
  if (code !== undefined) return REASONS[code] ?? code;
  return err.cause?.message ?? err.message ?? String(e);
}

export class ApiClient {
  constructor(readonly baseUrl: string, private readonly timeoutMs = 15000, private readonly token = '') {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token === '' ? {} : { authorization: `Bearer ${this.token}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new ServerUnreachable(this.baseUrl, unreachableReason(e));
    }
    const text = await res.text();
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiFailure(res.status, 'NOT_JSON',
          `${method} ${url} answered HTTP ${res.status} with something other than JSON; is this a gearhq HTTP port?`);
      }
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      if (err && typeof err.code === 'string' && typeof err.message === 'string') throw new ApiFailure(res.status, err.code, err.message);
      throw new ApiFailure(res.status, `HTTP_${res.status}`, `${method} ${url} answered HTTP ${res.status}`);
    }
    return parsed as T;
  }
}
