// Live kernel pictures for the diagram cells.
import type { FastifyInstance } from 'fastify';
import { probeNamespaces } from '../../kernels/probes/namespaces.ts';
import type { Lab } from '../lab.ts';

export default async function probes(app: FastifyInstance, { lab }: { lab: Lab }): Promise<void> {
  app.get('/api/probes/namespaces', async () => probeNamespaces());
  app.get('/api/doctor', async () => lab.doctor());
}
