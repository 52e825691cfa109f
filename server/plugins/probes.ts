// Live kernel pictures for the diagram cells.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { CgroupSnapshot, TopologySnapshot } from '../../common/diagram.ts';
import { checkRunning } from '../../kernels/check/lock.ts';
import { probeNamespaces } from '../../kernels/probes/namespaces.ts';
import { probeTopology } from '../../kernels/probes/topology.ts';
import { CgroupPathError, probeCgroups } from '../../kernels/probes/cgroups.ts';
import { Errors } from '../errors.ts';
import type { Lab } from '../lab.ts';

const CgroupPath = Type.String({ maxLength: 1024 });
// focus may be given once (?focus=/a) or repeated (?focus=/a&focus=/b).
const CgroupQuery = Type.Object({
  root: Type.Optional(CgroupPath),
  focus: Type.Optional(Type.Union([CgroupPath, Type.Array(CgroupPath, { maxItems: 32 })])),
});
type CgroupQuery = Static<typeof CgroupQuery>;

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
  // Reading cgroup files holds nothing a check could trip on, so polls go on during checks
  // (the page watches a check's cgroups appear). Equal requests in flight share one probe.
  const cgroups = new Map<string, Promise<CgroupSnapshot>>();
  app.get<{ Querystring: CgroupQuery }>('/api/probes/cgroups', { schema: { querystring: CgroupQuery } }, async (req) => {
    const focus = req.query.focus === undefined ? [] : ([] as string[]).concat(req.query.focus);
    const key = JSON.stringify([req.query.root ?? '/', focus]);
    let probe = cgroups.get(key);
    if (!probe) {
      probe = probeCgroups({ root: req.query.root, focus }).finally(() => cgroups.delete(key));
      cgroups.set(key, probe);
    }
    try {
      return await probe;
    } catch (err) {
      if (!(err instanceof CgroupPathError)) throw err;
      if (err.reason === 'outside') throw new Errors.BAD_CGROUP_PATH(err.message);
      if (err.reason === 'missing') throw new Errors.NO_CGROUP(err.message);
      throw new Errors.NO_CGROUP2(err.message);
    }
  });
  app.get('/api/doctor', async () => lab.doctor());
}
