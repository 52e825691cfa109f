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
  // wildcard: files are looked up per request, so a rebuild while the lab runs is served.
  await app.register(fastifyStatic, { root: clientDir, wildcard: true, index: false });
  const page = (_req: unknown, reply: { sendFile(f: string): unknown }) => reply.sendFile('index.html');
  app.get('/', page);
  app.get('/stage/:slug', page);
  app.get('/doctor', page);
}
