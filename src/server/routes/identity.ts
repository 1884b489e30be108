import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorId } from '../../identity/principal.js';
import { principalOf } from '../auth.js';
import { ErrorSchema } from '../schemas.js';

const MeSchema = Type.Object(
  {
    id: Type.String({
      description: 'The identity decisions and ledger entries name: user name or System id',
    }),
    role: Type.Union(['agent', 'approver', 'auditor', 'admin'].map((role) => Type.Literal(role))),
    user: Type.Union([Type.String(), Type.Null()]),
    systemId: Type.Union([Type.String(), Type.Null()]),
    groups: Type.Array(Type.String()),
    tokenId: Type.String(),
  },
  { additionalProperties: false },
);

/** Who the caller is: the dashboard signs in with it and shows only the actions the role allows. */
export function identityRoutes(app: FastifyInstance): void {
  app.get(
    '/v1/me',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['identity'],
        summary: "The token's identity: role, user or System, groups",
        security: [{ bearer: [] }],
        response: { 200: MeSchema, 401: ErrorSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return {
        id: actorId(principal),
        role: principal.role,
        user: principal.user ?? null,
        systemId: principal.systemId ?? null,
        groups: principal.groups,
        tokenId: principal.tokenId,
      };
    },
  );
}
