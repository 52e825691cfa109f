// Live kernel pictures for the diagram cells.
import type { FastifyInstance } from 'fastify';
import { probeNamespaces } from '../../kernels/probes/namespaces.ts';

export default async function probes(app: FastifyInstance): Promise<void> {
  app.get('/api/probes/namespaces', async () => probeNamespaces());
}
