/**
 * Bearer-token access to the HTTP API. With no token configured the API is open (and bound to
 * loopback by default). With `--http-token` every API route but the health checks needs a token;
 * the read-only token (`--http-read-token`) is accepted for GET and HEAD only. The dashboard's
 * static files are open (they hold no data: the page asks for a token and sends it to the API),
 * and GET /api/v1/auth tells a caller what its token may do, so the dashboard can hide actions.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { isPageRequest } from './dashboard.js';
import { sendError } from './http-server.js';
import { objectOf, replies } from './schemas.js';

export interface AuthTokens {
  full: string;
  read: string;
}

const OPEN_ROUTES = new Set(['/healthz', '/readyz', '/api/v1/auth']);

export type Access = 'full' | 'read' | 'none';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What a request may do: 'full' also when the server has no tokens at all. */
export function requestAccess(tokens: AuthTokens | undefined, authorization: string | undefined): Access {
  return accessOf(tokens ?? { full: '', read: '' }, authorization) ?? 'none';
}

/** What the request's `Authorization` header grants; null when it has none. */
function accessOf(tokens: AuthTokens, authorization: string | undefined): Access | null {
  if (tokens.full === '' && tokens.read === '') return 'full';
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (m === null) return null;
  const given = m[1]!;
  if (tokens.full !== '' && same(given, tokens.full)) return 'full';
  if (tokens.read !== '' && same(given, tokens.read)) return 'read';
  return 'none';
}

export function installAuth(app: FastifyInstance, tokens: AuthTokens): void {
  app.get('/api/v1/auth', {
    schema: {
      summary: 'What the given token may do', tags: ['system'], operationId: 'getAuth', security: [],
      response: replies({
        200: {
          description: 'Open to everyone: the dashboard asks before it shows actions.',
          ...objectOf({ access: { type: 'string', enum: ['full', 'read', 'none'] }, tokensRequired: { type: 'boolean' } }),
        },
      }),
    },
  }, async (req) => ({
    access: accessOf(tokens, req.headers.authorization) ?? 'none',
    tokensRequired: tokens.full !== '' || tokens.read !== '',
  }));
  if (tokens.full === '' && tokens.read === '') return;
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?', 1)[0]!;
    if (OPEN_ROUTES.has(path)) return;
    if (isPageRequest(req)) return;
    const access = accessOf(tokens, req.headers.authorization);
    if (access === null) return sendError(reply, 'UNAUTHORIZED', 'this server needs Authorization: Bearer <token>');
    if (access === 'full') return;
    if (access === 'read') {
      if (req.method === 'GET' || req.method === 'HEAD') return;
      return sendError(reply, 'FORBIDDEN', 'the read-only token cannot change anything');
    }
    return sendError(reply, 'UNAUTHORIZED', 'unknown token');
  });
}
