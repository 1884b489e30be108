import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import type { SystemRegistration } from '../../app/systems/systems.js';
import { ArbiterError } from '../../core/errors.js';
import type { SystemRow } from '../../store/records.js';
import { principalOf } from '../auth.js';
import {
  ErrorSchema,
  ReasonSchema,
  SystemIdParams,
  SystemRegistrationSchema,
  SystemViewSchema,
} from '../schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
const security = [{ bearer: [] }];

/** A System as the API shows it. */
export function systemView(row: SystemRow) {
  return {
    id: row.id,
    kind: row.kind,
    source: row.source,
    status: row.status,
    statusReason: row.statusReason ?? null,
    statusBy: row.statusBy ?? null,
    statusAt: row.statusAt ?? null,
    ...row.spec,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const AutonomyBody = Type.Object(
  {
    level: Type.Integer({ minimum: 0, maximum: 3, description: '0 observe … 3 act within boundaries' }),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);

export function systemRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { systems, autonomy } = arbiter;
  // The effective autonomy replaces the document's level; the document's is `autonomyCeiling`.
  const fullView = async (row: SystemRow) => ({ ...systemView(row), ...(await autonomy.view(row)) });

  app.get(
    '/v1/systems',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['systems'],
        summary: 'Registered AI agents and models (agents see their own)',
        security,
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

  app.get<{ Params: { id: string } }>(
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

  app.post<{ Body: SystemRegistration }>(
    '/v1/systems',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['systems'],
        summary: 'Register or update a System not managed in the governance repository',
        security,
        body: SystemRegistrationSchema,
        response: { 200: SystemViewSchema, 201: SystemViewSchema, ...errors },
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
    app.post<{ Params: { id: string }; Body: { reason: string } }>(
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
          response: { 200: SystemViewSchema, ...errors },
        },
      },
      async (request) =>
        fullView(
          await systems.setFrozen(principalOf(request), request.params.id, frozen, request.body.reason),
        ),
    );
  }

  app.post<{ Params: { id: string }; Body: Static<typeof AutonomyBody> }>(
    '/v1/systems/:id/autonomy',
    {
      config: { roles: ['approver', 'admin'] },
      schema: {
        tags: ['systems'],
        summary:
          "Set a System's autonomy with a reason, e.g. promote it back after a demotion (admins, owner-team approvers; never above its document's level)",
        security,
        params: SystemIdParams,
        body: AutonomyBody,
        response: { 200: SystemViewSchema, ...errors, 422: ErrorSchema },
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
