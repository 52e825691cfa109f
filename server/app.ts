// build(): the lab server as a Fastify app, without listening (tests drive it with inject).
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { MAX_CLIENT_MESSAGE_BYTES } from '../common/protocol.ts';
import { MAX_SOURCE_BYTES } from '../common/api.ts';
import { Lab, REPO_ROOT } from './lab.ts';
import auth from './plugins/auth.ts';
import challenges from './plugins/challenges.ts';
import notebooks from './plugins/notebooks.ts';
import pages from './plugins/pages.ts';
import probes from './plugins/probes.ts';
import terminals from './plugins/terminals.ts';
import workshopRoutes from './plugins/workshop.ts';
import type { Workshop } from './workshop/state.ts';
import { TerminalManager } from './terminal/manager.ts';

export interface BuildOptions {
  lab?: Lab;
  token: string;
  allowedHosts?: string[];
  clientDir?: string;
  logger?: boolean;
  terminalIdleMs?: number;
  /** Workshop mode: the instructor's lab (server/workshop/state.ts). */
  workshop?: Workshop;
  workshopLinks?: { instructor: string; participant: string };
}

export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

export interface LabServer {
  app: FastifyInstance;
  lab: Lab;
  terminals: TerminalManager;
}

export async function build(opts: BuildOptions): Promise<LabServer> {
  const lab = opts.lab ?? new Lab();
  const terminalManager = new TerminalManager(opts.terminalIdleMs);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: MAX_SOURCE_BYTES * 2,
    forceCloseConnections: true, // close() must not wait for idle or half-closed clients
    ajv: { customOptions: { coerceTypes: false } }, // {"code": 5} is an error, not the text "5"
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) app.log.error(err);
    return reply.code(status).send({ error: err.message, code: err.code ?? 'LUX_INTERNAL' });
  });
  await app.register(auth, { token: opts.token, allowedHosts: opts.allowedHosts ?? LOOPBACK_HOSTS, workshop: opts.workshop });
  await app.register(websocket, { options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES } });
  await app.register(notebooks, { lab });
  await app.register(challenges, { lab });
  await app.register(probes, { lab });
  await app.register(terminals, { lab, terminals: terminalManager });
  await app.register(workshopRoutes, { lab, terminals: terminalManager, workshop: opts.workshop, links: opts.workshopLinks });
  await app.register(pages, { clientDir: opts.clientDir ?? join(REPO_ROOT, 'dist', 'client') });
  app.addHook('onClose', async () => terminalManager.closeAll());
  return { app, lab, terminals: terminalManager };
}
