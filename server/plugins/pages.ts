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
  // wildcard: false serves exactly the files that exist at start-up, one route each.
  await app.register(fastifyStatic, { root: clientDir, wildcard: false, index: false });
  const page = (_req: unknown, reply: { sendFile(f: string): unknown }) => reply.sendFile('index.html');
  app.get('/', page);
  app.get('/stage/:slug', page);
}
