import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { ReloadedSchema } from '../../app/policies/reload-result.js';
import { ArbiterError } from '../../core/errors.js';
import { actorRef } from '../../identity/principal.js';
import { storeUnavailableReason } from '../../store/availability.js';
import { principalOf } from '../auth.js';
import {
  bodyRefusals,
  errorResponses,
  HealthSchema,
  PolicyBundleViewSchema,
  ReadySchema,
  TextResponse,
} from '../schemas.js';

/** Health, readiness, metrics, and the policy bundle in force (with reload). */
export function operationRoutes(
  app: FastifyInstance,
  arbiter: Arbiter,
  state: { shuttingDown: boolean },
): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'The process is alive', response: { 200: HealthSchema } } },
    async () => ({ status: 'ok' as const }),
  );

  api.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Ready to serve: the store answers and the server is not shutting down',
        response: { 200: ReadySchema, ...errorResponses(503) },
      },
    },
    async (_request, reply) => {
      if (state.shuttingDown)
        return reply
          .code(503)
          .send(new ArbiterError('ARB_ERR_UNAVAILABLE', 'shutting down').toResponseBody());
      try {
        await arbiter.store.ledger.size();
      } catch (error) {
        return reply.code(503).send(
          // A public route: the driver's code, never its message (database names, hosts).
          new ArbiterError(
            'ARB_ERR_UNAVAILABLE',
            `store unavailable: ${storeUnavailableReason(error) ?? 'unexpected error'}`,
          ).toResponseBody(),
        );
      }
      return { status: 'ready' as const, bundle: arbiter.policies.bundle.digest };
    },
  );

  const metricsType = arbiter.metrics.registry.contentType;
  api.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        response: { 200: TextResponse(metricsType, 'Metrics in the Prometheus text exposition format') },
      },
    },
    async (_request, reply) => {
      const body = await arbiter.metrics.registry.metrics();
      return reply.type(metricsType).send(body);
    },
  );

  api.get(
    '/v1/policies',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['policies'],
        summary: 'The policy bundle in force',
        security: [{ bearer: [] }],
        response: { 200: PolicyBundleViewSchema, ...errorResponses(401, 403) },
      },
    },
    async (request) => ({
      bundle: arbiter.policies.bundle.digest,
      counts: arbiter.policies.bundle.counts,
      // Where the server reads its governance repository is the operators' business (admins).
      directory: principalOf(request).role === 'admin' ? (arbiter.policies.directory ?? null) : null,
    }),
  );

  api.post(
    '/v1/policies/reload',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['policies'],
        summary:
          'Reload the governance directory; a bundle that fails to load is rejected and the old one stays in force',
        security: [{ bearer: [] }],
        response: { 200: ReloadedSchema, ...errorResponses(401, 403, 422), ...bodyRefusals },
      },
    },
    async (request, reply) => {
      const result = await arbiter.policies.reload(actorRef(principalOf(request)), 'api');
      if (!result.ok) {
        return reply.code(422).send(
          new ArbiterError('ARB_ERR_POLICY_BUNDLE_INVALID', result.message, {
            details: { problems: result.problems, kept: arbiter.policies.bundle.digest },
          }).toResponseBody(),
        );
      }
      return result;
    },
  );
}
