// Access control for every page, API call and WebSocket upgrade: a token (?token= once, then
// a cookie), a Host the lab serves (against DNS rebinding), same-origin for anything that
// changes state or opens a socket, and — in workshop mode — roles. A participant reaches only
// the routes that say `config: { participants: true }`; everything else is the owner's.
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../common/workshop.ts';
import { Errors } from '../errors.ts';
import { sameSecret, type Participant, type Workshop } from '../workshop/state.ts';

export const COOKIE = 'lux_token';
export const JOIN_COOKIE = 'lux_join'; // the participant link's token, until a name is given
export const PARTICIPANT_COOKIE = 'lux_p'; // a joined participant's session

declare module 'fastify' {
  interface FastifyRequest {
    role: Role;
    participant?: Participant;
  }
  interface FastifyContextConfig {
    /** Participants of a workshop may use this route (default: owner only). */
    participants?: boolean;
    /** Reachable without any token (the participant report endpoint checks its own). */
    public?: boolean;
  }
}

export interface AuthOptions {
  token: string;
  /** Host names (no port) this lab answers to. */
  allowedHosts: string[];
  workshop?: Workshop;
}

export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  return host.split(':')[0] ?? '';
}

function bearer(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

function checkOrigin(req: FastifyRequest, isUpgrade: boolean): void {
  const changes = !['GET', 'HEAD', 'OPTIONS'].includes(req.method) || isUpgrade;
  const origin = req.headers.origin;
  if (!changes || origin === undefined) return;
  let originHost = '';
  try {
    originHost = new URL(origin).host;
  } catch {
    /* "null" or garbage */
  }
  if (originHost !== req.headers.host) throw new Errors.BAD_ORIGIN(origin);
}

/** Drop ?token= from a page URL once its cookie is set. */
function redirectWithoutToken(req: FastifyRequest, reply: FastifyReply, path?: string) {
  const url = new URL(req.url, 'http://lab');
  url.searchParams.delete('token');
  return reply.redirect(path ?? url.pathname + url.search + url.hash);
}

const NEEDS_TOKEN_PAGE =
  '<!doctype html><title>luxlab</title><p>This lab needs its access token: open the URL that <code>npm start</code> printed (it ends in <code>?token=…</code>).</p>';

async function auth(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  await app.register(cookie);
  const hosts = new Set(opts.allowedHosts);
  const workshop = opts.workshop;
  const ownerRole: Role = workshop ? 'instructor' : 'learner';
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict' as const };
  app.decorateRequest('role', ownerRole);
  app.decorateRequest('participant', undefined);

  app.addHook('onRequest', async (req, reply) => {
    const host = req.headers.host ?? '';
    if (!hosts.has(hostName(host))) throw new Errors.BAD_HOST(host);
    const isUpgrade = req.headers.upgrade?.toLowerCase() === 'websocket';
    const isPage = req.method === 'GET' && !isUpgrade && !req.url.startsWith('/api/');
    const config = req.routeOptions.config;
    if (config.public) return;
    checkOrigin(req, isUpgrade);

    const query = (req.query as Record<string, string | undefined>)['token'];
    if (sameSecret(query, opts.token)) {
      reply.setCookie(COOKIE, opts.token, cookieOptions);
      if (isPage) return redirectWithoutToken(req, reply);
      return;
    }
    if (workshop?.isParticipantToken(query)) {
      reply.setCookie(JOIN_COOKIE, query!, cookieOptions);
      if (isPage) return redirectWithoutToken(req, reply, '/join');
    }

    const presented = bearer(req) ?? req.cookies[COOKIE];
    if (sameSecret(presented, opts.token)) {
      req.role = ownerRole;
      return;
    }

    if (workshop) {
      const p = workshop.bySession(req.cookies[PARTICIPANT_COOKIE]);
      const linkOnly = workshop.isParticipantToken(req.cookies[JOIN_COOKIE]) || workshop.isParticipantToken(query) || workshop.isParticipantToken(bearer(req));
      if (p || linkOnly) {
        if (!config.participants) throw new Errors.FORBIDDEN();
        req.role = 'participant';
        req.participant = p;
        return;
      }
      if (workshop.ended && (req.cookies[PARTICIPANT_COOKIE] || req.cookies[JOIN_COOKIE])) {
        if (isPage) return reply.code(401).type('text/html').send('<!doctype html><title>luxlab</title><p>This workshop has ended: its links no longer work.</p>');
        throw new Errors.REVOKED();
      }
    }
    if (isPage) return reply.code(401).type('text/html').send(NEEDS_TOKEN_PAGE);
    throw new Errors.UNAUTHORIZED();
  });
}

export default fp(auth, { name: 'lux-auth' });
