import { Type } from '@sinclair/typebox';
import { ArbiterError } from '../core/errors.js';
import { SystemSpec } from '../policy/documents.js';
import { ActionRequestSchema } from '../policy/request.js';

/** Route schemas: they validate input and generate /openapi.json. */

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable code, see docs/errors.md' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error', description: 'Every error response' },
);

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

const RequirementSchema = Type.Object(
  {
    count: Type.Number(),
    from: Type.Array(Type.String()),
    ttl: Type.String(),
    met: Type.Boolean(),
    approvers: Type.Array(Type.String()),
    missing: Type.Array(Type.String()),
  },
  { additionalProperties: true },
);

export const DecisionViewSchema = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('allowed'), Type.Literal('pending'), Type.Literal('denied')]),
    effect: Type.Union([Type.Literal('allow'), Type.Literal('require_approval'), Type.Literal('deny')]),
    actor: Type.Object({ id: Type.String(), kind: Type.String() }),
    systemId: Type.Union([Type.String(), Type.Null()]),
    action: Type.String(),
    resource: Type.Object({
      type: Type.String(),
      id: Type.String(),
      environment: Type.Union([Type.String(), Type.Null()]),
    }),
    request: Type.Record(Type.String(), Type.Unknown()),
    requestHash: Type.String(),
    reasons: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    notFired: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    shadow: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    approvals: Type.Object({
      required: Type.Array(RequirementSchema),
      received: Type.Array(
        Type.Object({
          approver: Type.String(),
          verdict: Type.String(),
          reason: Type.Union([Type.String(), Type.Null()]),
          at: Type.String(),
        }),
      ),
    }),
    statusReason: Type.Union([Type.String(), Type.Null()]),
    bundle: Type.String(),
    ledgerIndex: Type.Number(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    expiresAt: Type.Union([Type.String(), Type.Null()]),
    outcome: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  },
  { additionalProperties: true, description: 'A decision with its explanation, approvals and outcome' },
);

const digits = (description: string) => Type.String({ pattern: '^[0-9]{1,15}$', description });

export const DecisionIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

export const DecisionListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('allowed'), Type.Literal('pending'), Type.Literal('denied')]),
    ),
    system: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    environment: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601 time' })),
    until: Type.Optional(
      Type.String({ format: 'date-time', description: 'ISO 8601 time: only decisions created before it' }),
    ),
    limit: Type.Optional(digits('page size, 1..500 (default 50)')),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

export const WaitQuery = Type.Object(
  { timeoutMs: Type.Optional(digits('how long to wait, at most 60000 (default 30000)')) },
  { additionalProperties: false },
);

export const VoteSchema = Type.Object(
  {
    verdict: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    requestHash: Type.Optional(
      Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'the requestHash the approver reviewed' }),
    ),
  },
  { additionalProperties: false },
);

export const OutcomeSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('rolled_back')]),
    detail: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const ReasonSchema = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);

export const SystemIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

const bounded = (maxLength: number) => Type.String({ minLength: 1, maxLength });

/**
 * A System registered over HTTP: the document's spec with every free-text field bounded (the
 * governance repository's YAML has its own size limits; the API's are here).
 */
export const SystemRegistrationSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$' }),
    ...SystemSpec.properties,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    owner: Type.Object({ team: bounded(200), person: bounded(200) }, { additionalProperties: false }),
    onCall: Type.Object(
      {
        team: Type.Optional(bounded(200)),
        person: Type.Optional(bounded(200)),
        rotation: Type.Optional(bounded(200)),
        pagerdutyRoutingKey: Type.Optional(bounded(200)),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
    operatingConditions: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { maxProperties: 100, propertyNames: { maxLength: 200 } }),
    ),
    errorBudget: Type.Optional(
      Type.Object(
        {
          maxFailures: Type.Integer({ minimum: 0, maximum: 1000 }),
          window: bounded(50),
          environments: Type.Optional(Type.Array(bounded(100), { minItems: 1, maxItems: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const SystemViewSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    source: Type.String(),
    status: Type.String(),
    statusReason: Type.Union([Type.String(), Type.Null()]),
    owner: Type.Unknown(),
    onCall: Type.Unknown(),
    autonomy: Type.Number(),
    riskTier: Type.String(),
  },
  { additionalProperties: true },
);

export const LedgerEntriesQuery = Type.Object(
  {
    start: Type.Optional(digits('first seq (default 0)')),
    end: Type.Optional(digits('one past the last seq (default start+100, at most start+1000)')),
  },
  { additionalProperties: false },
);

export const InclusionQuery = Type.Object(
  { index: digits('entry seq'), treeSize: Type.Optional(digits('tree size (default: current)')) },
  { additionalProperties: false },
);

export const ConsistencyQuery = Type.Object(
  { first: digits('older tree size'), second: Type.Optional(digits('newer tree size (default: current)')) },
  { additionalProperties: false },
);

export const GateRunIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

export const GateRunListQuery = Type.Object(
  {
    system: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Optional(digits('page size, 1..500 (default 50)')),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

export const GateRunViewSchema = Type.Object(
  {
    id: Type.String(),
    system: Type.String(),
    version: Type.String(),
    release: Type.String(),
    passed: Type.Boolean(),
    bundle: Type.String(),
    startedAt: Type.String(),
    recordedAt: Type.String(),
    recordedBy: Type.String(),
    reportSha256: Type.String({
      description: 'SHA-256 hex of the canonical JSON of the report; pinned by the ledger entry',
    }),
    ledgerIndex: Type.Number(),
    report: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, description: 'A recorded gate run; the report only when read by id' },
);

/**
 * The instant of a query parameter the schema checked as `date-time`, as an ISO string. RFC 3339
 * admits what JavaScript dates cannot hold (a leap second, `23:59:60`): that is a 400 naming the
 * parameter, never an invalid date further down.
 */
export function instantOf(text: string, parameter: string): string {
  const time = new Date(text);
  if (Number.isNaN(time.getTime()))
    throw new ArbiterError(
      'ARB_ERR_REQUEST_INVALID',
      `querystring/${parameter} ${text} is not a time this server can represent (leap seconds are not)`,
      { details: { path: `querystring/${parameter}` } },
    );
  return time.toISOString();
}
