import { type Static, Type } from '@sinclair/typebox';
import { BundleCountsSchema } from '../app/policies/reload-result.js';
import { literals, Nullable } from '../core/json-schema.js';
import { incidentSeverities, incidentStatuses } from '../incidents/incident.js';
import { LedgerEntrySchema } from '../ledger/entry.js';
import { decisionStatuses } from '../store/records.js';
import { PageQuerySchema } from './pagination.js';
import { digits } from './query-strings.js';

/**
 * Where the wire shapes live. Every shape the API reads or answers is one TypeBox schema; route
 * types (through @fastify/type-provider-typebox), the OpenAPI document, the client SDK, the
 * dashboard and the MCP tools all derive from it. A schema lives with the code that builds or
 * accepts the shape, in the lowest layer that does, so imports keep pointing down
 * (server → app → domain) and nothing below server/ needs to import it:
 * - the domain, for shapes it builds: the action request and verdict (policy/), incidents and the
 *   accountability trace (incidents/), window metrics and alert states (monitor/), track records
 *   (registry/), ledger entries (ledger/);
 * - app/<capability>/, for the views and request bodies its services build and accept (e.g.
 *   app/decisions/view.ts and requests.ts, app/systems/view.ts, app/gate-runs/report.ts);
 * - here, for what only HTTP has: errors, path parameters, query strings, list pages
 *   (pagination.ts), and the answers route handlers build themselves.
 */

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

/**
 * The error answers a route declares, each in the one error shape: `{400: ErrorSchema, …}`. A
 * route names its statuses; the shape is written once.
 */
export function errorResponses<Status extends number>(
  ...statuses: readonly Status[]
): Readonly<Record<Status, typeof ErrorSchema>> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorSchema])) as Record<
    Status,
    typeof ErrorSchema
  >;
}

/**
 * What any route that takes a body (POST, PUT, PATCH, DELETE) answers before its handler runs: JSON
 * that does not parse or breaks a body rule (400), a body over the route's limit (413), a content type
 * the server does not read (415) — whether or not the route reads a body. The boot refuses a body route
 * that does not declare them (response-schemas.ts).
 */
export const bodyRefusals = errorResponses(400, 413, 415);

/** A response body that is text, with its content type (checkpoints, keys, metrics). */
export function TextResponse(contentType: string, description: string) {
  return { description, content: { [contentType]: { schema: Type.String() } } };
}

const idParams = (maxLength: number) =>
  Type.Object({ id: Type.String({ minLength: 1, maxLength }) }, { additionalProperties: false });

export const DecisionIdParams = idParams(100);
export const SystemIdParams = idParams(128);
export const GateRunIdParams = idParams(100);
export const IncidentIdParams = idParams(100);
/** Monitoring routes name the System in the path. */
export const MonitoredSystemParams = Type.Object(
  { system: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const DecisionListQuery = PageQuerySchema({
  status: Type.Optional(literals(decisionStatuses)),
  system: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  environment: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601 time' })),
  until: Type.Optional(
    Type.String({ format: 'date-time', description: 'ISO 8601 time: only decisions created before it' }),
  ),
});

export const GateRunListQuery = PageQuerySchema({
  system: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  version: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

export const IncidentListQuery = PageQuerySchema({
  status: Type.Optional(literals(incidentStatuses)),
  system: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  severity: Type.Optional(literals(incidentSeverities)),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'opened at or after (ISO 8601)' })),
});

export const WaitQuery = Type.Object(
  { timeoutMs: Type.Optional(digits('how long to wait, at most 60000 (default 30000)')) },
  { additionalProperties: false },
);

export const WindowsQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({ description: 'RFC 3339 or epoch ms; default: 7 days (31 merged) before to' }),
    ),
    to: Type.Optional(Type.String({ description: 'RFC 3339 or epoch ms (exclusive); default: now' })),
    merge: Type.Optional(Type.Literal('day')),
  },
  { additionalProperties: false },
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

/** The body of freeze and unfreeze. */
export const ReasonSchema = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);

export const AutonomyRequestSchema = Type.Object(
  {
    level: Type.Integer({ minimum: 0, maximum: 3, description: '0 observe … 3 act within boundaries' }),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);

export const MeSchema = Type.Object(
  {
    id: Type.String({ description: 'The bare name policies see as `actor.id`: user name or System id' }),
    ref: Type.String({
      description: 'The typed identity decisions and ledger entries name: `user:NAME` or `system:ID`',
    }),
    role: literals(['agent', 'approver', 'auditor', 'admin'] as const),
    user: Nullable(Type.String()),
    systemId: Nullable(Type.String()),
    groups: Type.Array(Type.String()),
    tokenId: Type.String(),
  },
  { additionalProperties: false, description: "The token's identity" },
);
export type Me = Static<typeof MeSchema>;

export const HealthSchema = Type.Object({ status: Type.Literal('ok') });

export const ReadySchema = Type.Object({
  status: Type.Literal('ready'),
  bundle: Type.String({ description: 'Digest of the policy bundle in force' }),
});

/** What `POST /v1/events` answers: where the event landed in the ledger. */
export const EventReceiptSchema = Type.Object({ ledgerIndex: Type.Number() });

export const LedgerEntryViewSchema = Type.Object({
  seq: Type.Number(),
  leafHash: Type.String({ description: 'RFC 6962 leaf hash, base64' }),
  entry: LedgerEntrySchema,
});
export type LedgerEntryView = Static<typeof LedgerEntryViewSchema>;

export const LedgerEntriesSchema = Type.Object({
  size: Type.Number({ description: 'Entries in the log now' }),
  entries: Type.Array(LedgerEntryViewSchema),
});

/** The policy bundle in force; `directory` only for admins. */
export const PolicyBundleViewSchema = Type.Object({
  bundle: Type.String(),
  counts: BundleCountsSchema,
  directory: Nullable(Type.String({ description: 'The governance directory (admins only; else null)' })),
});
