/**
 * Serves the web dashboard (built from web/ into dist/web by `npm run build`) at / on the HTTP
 * port. Every page of the dashboard is a URL of its own (/jobs?function=x, /jobs/H:host:12…):
 * any GET for a path outside the API that is not a file gets index.html, and the page's router
 * takes it from there. Hashed assets are cached for good; index.html is always revalidated so a
 * new build is picked up.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** dist/src/http → dist/web. */
export const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

export interface Dashboard {
  /** Answers a GET that matched no route with the page, if it is a dashboard URL; else false. */
  servePage(req: FastifyRequest, reply: FastifyReply): boolean;
}

/** A GET or HEAD for anything but the API and the metrics: the dashboard's page and assets. */
export function isPageRequest(req: FastifyRequest): boolean {
  const path = req.url.split('?', 1)[0]!;
  return (req.method === 'GET' || req.method === 'HEAD') && !path.startsWith('/api/') && path !== '/metrics';
}

export function registerDashboard(app: FastifyInstance, dir = DASHBOARD_DIR): Dashboard {
  const built = existsSync(join(dir, 'index.html'));
  if (!built) {
    return {
      servePage(req, reply) {
        if (!isPageRequest(req)) return false;
        void reply.code(404).type('text/plain; charset=utf-8')
          .send('The Gearman HQ dashboard is not built in this installation: run `npm run build`.\n');
        return true;
      },
    };
  }
  void app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: false,
    setHeaders(res, path) {
      res.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return {
    servePage(req, reply) {
      if (!isPageRequest(req)) return false;
      void reply.header('cache-control', 'no-cache').sendFile('index.html');
      return true;
    },
  };
}
