import { type Static, Type } from '@sinclair/typebox';
import { actorKinds } from './documents.js';

/**
 * The shape of an action request, shared by `arbiter policy eval`, the HTTP API and MCP.
 * Strict at the top level so a misspelt field is an error rather than a silently missing fact;
 * `context` is the free-form place for anything else a policy wants to read.
 */
export const ActionRequestSchema = Type.Object(
  {
    action: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '\\S',
      description: 'What the actor wants to do, e.g. deploy or db.migrate',
    }),
    resource: Type.Object(
      {
        type: Type.String({
          minLength: 1,
          maxLength: 200,
          description: 'What kind of thing, e.g. service, database, model',
        }),
        id: Type.String({ minLength: 1, maxLength: 500, description: 'Which one, e.g. payments' }),
        environment: Type.Optional(
          Type.String({ minLength: 1, maxLength: 100, description: 'Where, e.g. prod, staging' }),
        ),
      },
      { additionalProperties: false },
    ),
    change: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'What changes, e.g. {linesChanged: 812}' }),
    ),
    rationale: Type.Optional(Type.String({ maxLength: 10_000, description: 'Why the actor wants to do it' })),
    confidence: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'How sure the actor is that it should act, 0..1' }),
    ),
    evidence: Type.Optional(
      Type.Array(Type.Unknown(), {
        maxItems: 100,
        description: 'What the actor relied on, e.g. [{"url": "…", "title": "…"}]',
      }),
    ),
    context: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Anything else the policies should know' }),
    ),
  },
  { additionalProperties: false },
);
export type ActionRequest = Static<typeof ActionRequestSchema>;

/** An actor given inline (a human, or a System not in the bundle). */
export const ActorSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    kind: Type.Union(actorKinds.map((kind) => Type.Literal(kind))),
  },
  { additionalProperties: true },
);
