/**
 * Bearer-token access to the HTTP API. With no token configured the API is open (and bound to
 * loopback by default). With `--http-token` every route but the health checks needs a token; the
 * read-only token (`--http-read-token`) is accepted for GET and HEAD only.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sendError } from './http-server.js';

export interface AuthTokens {
  full: string;
  read: string;
}

const OPEN_ROUTES = new Set(['/healthz', '/readyz']);

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function installAuth(app: FastifyInstance, tokens: AuthTokens): void {
  if (tokens.full === '' && tokens.read === '') return;
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?', 1)[0]!;
    if (OPEN_ROUTES.has(path)) return;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (m === null) return sendError(reply, 'UNAUTHORIZED', 'this server needs Authorization: Bearer <token>');
    const given = m[1]!;
    if (tokens.full !== '' && same(given, tokens.full)) return;
    if (tokens.read !== '' && same(given, tokens.read)) {
      if (req.method === 'GET' || req.method === 'HEAD') return;
      return sendError(reply, 'FORBIDDEN', 'the read-only token cannot change anything');
    }
    return sendError(reply, 'UNAUTHORIZED', 'unknown token');
  });
}
