// A challenge's code (autosaved main.go, reset, solution), its build, and its check.
import type { FastifyInstance } from 'fastify';
import { PassThrough } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { SaveCode } from '../../common/api.ts';
import type { CheckEvent } from '../../common/check.ts';
import { Errors } from '../errors.ts';
import { UnknownChallenge, type Lab } from '../lab.ts';

const IdParams = Type.Object({ id: Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 64 }) });
type Req = { Params: { id: string } };
const Empty = Type.Object({}, { additionalProperties: false });

export default async function challenges(app: FastifyInstance, { lab }: { lab: Lab }): Promise<void> {
  // Every route here names a challenge: an unknown one is a 404, not a file path.
  app.addHook('preHandler', async (req) => {
    const id = (req.params as { id?: string }).id;
    if (id === undefined) return;
    try {
      lab.challenge(id);
    } catch (err) {
      if (err instanceof UnknownChallenge) throw new Errors.NO_CHALLENGE(id);
      throw err;
    }
  });

  const params = { params: IdParams };
  app.get<Req>('/api/challenges/:id/code', { schema: params }, async (req) => lab.code(req.params.id));

  app.put<Req & { Body: SaveCode }>('/api/challenges/:id/code', { schema: { ...params, body: SaveCode } }, async (req) =>
    lab.save(req.params.id, req.body.code),
  );

  app.post<Req>('/api/challenges/:id/reset', { schema: { ...params, body: Empty } }, async (req) => lab.reset(req.params.id));

  app.get<Req>('/api/challenges/:id/solution', { schema: params }, async (req) => ({ code: lab.solution(req.params.id) }));

  app.post<Req>('/api/challenges/:id/build', { schema: { ...params, body: Empty } }, async (req) => lab.build(req.params.id));

  app.get<Req>('/api/challenges/:id/result', { schema: params }, async (req) => {
    const r = lab.workspace.lastResult(lab.challenge(req.params.id).challenge.id);
    if (!r) throw new Errors.NO_RESULT(req.params.id);
    return r;
  });

  // Streams the check as NDJSON: one CheckEvent per line, as each assertion is made.
  app.post<Req>('/api/challenges/:id/check', { schema: { ...params, body: Empty } }, async (req, reply) => {
    const stream = new PassThrough();
    const write = (e: CheckEvent) => stream.write(`${JSON.stringify(e)}\n`);
    void lab
      .check(req.params.id, { onEvent: write })
      .catch((err: Error) => {
        // The stream always ends with a result, so the page never waits for one that never comes.
        write({ type: 'end', result: { challengeId: req.params.id, status: 'error', startedAt: new Date().toISOString(), durationMs: 0, binaryMs: 0, assertions: [], swept: [], error: err.message } });
      })
      .finally(() => stream.end());
    return reply.type('application/x-ndjson').header('cache-control', 'no-store').send(stream);
  });
}
