// The curriculum and the notebooks: home page data and one stage's notebook.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Errors } from '../errors.ts';
import type { Lab } from '../lab.ts';

const SlugParams = Type.Object({ slug: Type.String({ pattern: '^[a-z0-9-]+$', maxLength: 64 }) });

export default async function notebooks(app: FastifyInstance, { lab }: { lab: Lab }): Promise<void> {
  const participants = { participants: true };
  // A participant reads the instructor's notebooks; their progress lives on their own lab.
  app.get('/api/home', { config: participants }, async (req) => (req.role === 'participant' ? lab.home({ withProgress: false }) : lab.home()));

  app.get<{ Params: { slug: string } }>('/api/stages/:slug', { config: participants, schema: { params: SlugParams } }, async (req) => {
    const stage = lab.catalog.stages.find((s) => s.slug === req.params.slug);
    if (!stage) throw new Errors.NO_STAGE(req.params.slug);
    return stage;
  });
}
