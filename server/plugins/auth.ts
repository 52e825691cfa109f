// Access control for every page, API call and WebSocket upgrade: a token (?token= once, then
// a cookie), a Host the lab serves (against DNS rebinding), and same-origin for anything that
// changes state or opens a socket (against cross-site requests riding on the cookie).
import { timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../errors.ts';

export const COOKIE = 'lux_token';

export interface AuthOptions {
  token: string;
  /** Host names (no port) this lab answers to. */
  allowedHosts: string[];
}

function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  return host.split(':')[0] ?? '';
}

function presentedToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return req.cookies[COOKIE];
}

async function auth(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  await app.register(cookie);
  const hosts = new Set(opts.allowedHosts);

  app.addHook('onRequest', async (req, reply) => {
    const host = req.headers.host ?? '';
    if (!hosts.has(hostName(host))) throw new Errors.BAD_HOST(host);

    const isUpgrade = req.headers.upgrade?.toLowerCase() === 'websocket';
    const changes = !['GET', 'HEAD', 'OPTIONS'].includes(req.method) || isUpgrade;
    const origin = req.headers.origin;
    if (changes && origin !== undefined) {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        /* "null" or garbage */
      }
      if (originHost !== host) throw new Errors.BAD_ORIGIN(origin);
    }

    const query = (req.query as Record<string, string | undefined>)['token'];
    if (sameToken(query, opts.token)) {
      reply.setCookie(COOKIE, opts.token, { path: '/', httpOnly: true, sameSite: 'strict' });
      if (req.method === 'GET' && !isUpgrade && !req.url.startsWith('/api/')) {
        const url = new URL(req.url, 'http://lab');
        url.searchParams.delete('token');
        return reply.redirect(url.pathname + url.search + url.hash);
      }
      return;
    }
    if (!sameToken(presentedToken(req), opts.token)) {
      if (req.method === 'GET' && !req.url.startsWith('/api/') && !isUpgrade) {
        return reply
          .code(401)
          .type('text/html')
          .send('<!doctype html><title>luxlab</title><p>This lab needs its access token: open the URL that <code>npm start</code> printed (it ends in <code>?token=…</code>).</p>');
      }
      throw new Errors.UNAUTHORIZED();
    }
  });
}

export default fp(auth, { name: 'lux-auth' });
