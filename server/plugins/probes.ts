// Live kernel pictures for the diagram cells.
import type { FastifyInstance } from 'fastify';
import type { TopologySnapshot } from '../../common/diagram.ts';
import { checkRunning } from '../../kernels/check/lock.ts';
import { probeNamespaces } from '../../kernels/probes/namespaces.ts';
import { probeTopology } from '../../kernels/probes/topology.ts';
import type { Lab } from '../lab.ts';

export default async function probes(app: FastifyInstance, { lab }: { lab: Lab }): Promise<void> {
  app.get('/api/probes/namespaces', async () => probeNamespaces());
  // Pages poll this (?poll=1) while a topology diagram is in view. Requests that arrive while
  // a probe runs share its answer, so several tabs cost one probe; a poll during a check gets
  // 204 — entering namespaces holds them a moment, which a check tearing them down would see.
  let topology: Promise<TopologySnapshot> | null = null;
  app.get<{ Querystring: { poll?: string } }>('/api/probes/topology', async (req, reply) => {
    if (req.query.poll && checkRunning()) return reply.code(204).send();
    topology ??= probeTopology().finally(() => (topology = null));
    return topology;
  });
  app.get('/api/doctor', async () => lab.doctor());
}
