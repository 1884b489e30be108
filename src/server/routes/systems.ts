import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { SystemRegistrationSchema } from '../../app/systems/registration.js';
import { type SystemView, SystemViewSchema, systemView } from '../../app/systems/view.js';
import { ArbiterError } from '../../core/errors.js';
import type { SystemRow } from '../../store/records.js';
import { principalOf } from '../auth.js';
import {
  AutonomyRequestSchema,
  bodyRefusals,
  errorResponses,
  ReasonSchema,
  SystemIdParams,
} from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409);
const security = [{ bearer: [] }];

/** Registered Systems: read them, register one, freeze and unfreeze, set the autonomy. */
export function systemRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { systems, autonomy } = arbiter;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const fullView = async (row: SystemRow): Promise<SystemView> => systemView(row, await autonomy.view(row));

  api.get(
    '/v1/systems',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['systems'],
        summary: 'Registered AI agents and models (agents see their own)',
        security,
        response: { 200: Type.Object({ systems: Type.Array(SystemViewSchema) }), ...errorResponses(401) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const rows = await systems.list();
      return {
        systems: await Promise.all(
          rows.filter((row) => principal.role !== 'agent' || row.id === principal.systemId).map(fullView),
        ),
      };
    },
  );

  api.get(
    '/v1/systems/:id',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['systems'],
        summary: 'One System',
        security,
        params: SystemIdParams,
        response: { 200: SystemViewSchema, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.role === 'agent' && principal.systemId !== request.params.id)
        throw new ArbiterError('ARB_ERR_NOT_FOUND', `no System ${request.params.id}`);
      return fullView(await systems.get(request.params.id));
    },
  );

  api.post(
    '/v1/systems',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['systems'],
        summary: 'Register or update a System not managed in the governance repository',
        security,
        body: SystemRegistrationSchema,
        response: { 200: SystemViewSchema, 201: SystemViewSchema, ...errors, ...bodyRefusals },
      },
    },
    async (request, reply) => {
      const { row, created } = await systems.register(principalOf(request), request.body);
      return reply.code(created ? 201 : 200).send(await fullView(row));
    },
  );

  for (const [path, frozen] of [
    ['freeze', true],
    ['unfreeze', false],
  ] as const) {
    api.post(
      `/v1/systems/:id/${path}`,
      {
        config: { roles: ['approver', 'admin'] },
        schema: {
          tags: ['systems'],
          summary: frozen
            ? 'Kill switch: deny every new and pending request of the System (admins, owner-team approvers)'
            : 'Lift the kill switch (admins, owner-team approvers)',
          security,
          params: SystemIdParams,
          body: ReasonSchema,
          response: { 200: SystemViewSchema, ...errors, ...bodyRefusals },
        },
      },
      async (request) =>
        fullView(
          await systems.setFrozen(principalOf(request), request.params.id, frozen, request.body.reason),
        ),
    );
  }

  api.post(
    '/v1/systems/:id/autonomy',
    {
      config: { roles: ['approver', 'admin'] },
      schema: {
        tags: ['systems'],
        summary:
          "Set a System's autonomy with a reason, e.g. promote it back after a demotion (admins, owner-team approvers; never above its document's level)",
        security,
        params: SystemIdParams,
        body: AutonomyRequestSchema,
        response: { 200: SystemViewSchema, ...errors, ...errorResponses(422), ...bodyRefusals },
      },
    },
    async (request) =>
      fullView(
        await autonomy.setLevel(
          principalOf(request),
          request.params.id,
          request.body.level,
          request.body.reason,
        ),
      ),
  );
}
