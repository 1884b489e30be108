// The HTTP floor of a decision: a Fastify route with the real POST /v1/decisions body schema (ajv
// with the server's options) and its real 201 response schema, answering a fixed decision view
// (ARBITER_BENCH_VIEW, JSON) without doing anything else: what every decision costs in HTTP,
// validation and response serialisation before Arbiter does any work of its own. Without
// ARBITER_BENCH_VIEW it answers bare.js's constant, unchecked: the body schema's cost alone.
//
// `ARBITER_BENCH_VIEW='{…}' node bench/server/schema-route.js` (bench/server/floor.js starts it).
import Fastify from 'fastify';
import { DecisionRequestSchema } from '../../dist/app/decisions/requests.js';
import { DecisionViewSchema } from '../../dist/app/decisions/view.js';

const view = process.env.ARBITER_BENCH_VIEW && JSON.parse(process.env.ARBITER_BENCH_VIEW);
const app = Fastify({
  logger: false,
  ajv: {
    customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, useDefaults: false },
  },
});
if (view)
  app.post(
    '/v1/decisions',
    { schema: { body: DecisionRequestSchema, response: { 201: DecisionViewSchema } } },
    async (_request, reply) => reply.code(201).send(view),
  );
else
  app.post('/v1/decisions', { schema: { body: DecisionRequestSchema } }, async () => ({
    id: 'dec_constant',
    status: 'allowed',
    effect: 'allow',
  }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${address}`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
