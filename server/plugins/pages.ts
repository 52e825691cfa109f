// The built client (dist/client, by `vite build`): assets, and index.html for every page route.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export default async function pages(app: FastifyInstance, { clientDir }: { clientDir: string }): Promise<void> {
  if (!existsSync(join(clientDir, 'index.html'))) {
    app.get('/', async (_req, reply) =>
      reply.code(503).type('text/plain').send(`The client is not built: run \`npm run build\` (expected ${clientDir}/index.html).`),
    );
    return;
  }
  const participants = { config: { participants: true } }; // workshop participants read the notebooks too
  // serve: false — only the routes below serve files, each looked up per request (so a rebuild
  // while the lab runs is served) and each with its own access rule.
  await app.register(fastifyStatic, { root: clientDir, wildcard: true, index: false, serve: false });
  app.get('/assets/*', participants, (req, reply) => reply.sendFile(`assets/${(req.params as { '*': string })['*']}`));
  const page = (_req: unknown, reply: { sendFile(f: string): unknown }) => reply.sendFile('index.html');
  app.get('/', participants, page);
  app.get('/stage/:slug', participants, page);
  app.get('/join', participants, page);
  app.get('/doctor', page);
}
