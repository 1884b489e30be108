import { type Static, Type } from '@sinclair/typebox';
import { literals } from '../../core/json-schema.js';
import { ActionRequestSchema } from '../../policy/request.js';
import { outcomeStatuses } from '../../store/records.js';

/** What a caller sends to ask before acting: the action request, plus an idempotency key for retries. */
export const DecisionRequestSchema = Type.Object(
  {
    ...ActionRequestSchema.properties,
    idempotencyKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Retries with the same key return the same decision',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DecisionRequest = Static<typeof DecisionRequestSchema>;

/** An approver's vote on a pending decision. */
export const VoteRequestSchema = Type.Object(
  {
    verdict: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    requestHash: Type.Optional(
      Type.String({
        pattern: '^sha256:[0-9a-f]{64}$',
        description:
          "When given, must equal the decision's request hash: the approver saw exactly this request",
      }),
    ),
  },
  { additionalProperties: false },
);
export type VoteRequest = Static<typeof VoteRequestSchema>;

/** What the requester reports after acting. */
export const OutcomeRequestSchema = Type.Object(
  {
    status: literals(outcomeStatuses),
    detail: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type OutcomeRequest = Static<typeof OutcomeRequestSchema>;

/** The requester's claim as it starts acting: nothing to say but that it starts now. */
export const StartRequestSchema = Type.Object({}, { additionalProperties: false });
export type StartRequest = Static<typeof StartRequestSchema>;

/** Why the requester gives up on a decision it asked for (e.g. its client went away). */
export const WithdrawRequestSchema = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
export type WithdrawRequest = Static<typeof WithdrawRequestSchema>;
