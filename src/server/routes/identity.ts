import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { actorRef, principalName } from '../../identity/principal.js';
import { principalOf } from '../auth.js';
import { errorResponses, MeSchema } from '../schemas.js';

/** Who the caller is: the dashboard signs in with it and shows only the actions the role allows. */
export function identityRoutes(app: FastifyInstance): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/me',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['identity'],
        summary: "The token's identity: role, user or System, groups",
        security: [{ bearer: [] }],
        response: { 200: MeSchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return {
        id: principalName(principal),
        ref: actorRef(principal),
        role: principal.role,
        user: principal.user ?? null,
        systemId: principal.systemId ?? null,
        groups: principal.groups,
        tokenId: principal.tokenId,
      };
    },
  );
}
