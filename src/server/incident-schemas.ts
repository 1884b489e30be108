import { Type } from '@sinclair/typebox';
import { incidentLinkKinds, incidentSeverities, incidentStatuses } from '../incidents/incident.js';

/** Route schemas of incidents and traces. */

const literals = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const digits = (description: string) => Type.String({ pattern: '^[0-9]{1,15}$', description });

export const IncidentOpenSchema = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'not blank' }),
    severity: Type.Optional(literals(incidentSeverities)),
    system: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    decision: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'linked at opening' })),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false },
);

export const IncidentLinkSchema = Type.Object(
  {
    kind: literals(incidentLinkKinds),
    ref: Type.String({
      minLength: 1,
      maxLength: 500,
      description:
        'decision id, gate run id, system/policy/alert[#ledgerIndex], or any reference to a deployment',
    }),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const IncidentResolveSchema = Type.Object(
  { summary: Type.String({ minLength: 1, maxLength: 10_000, pattern: '\\S', description: 'not blank' }) },
  { additionalProperties: false },
);

export const IncidentIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

export const IncidentListQuery = Type.Object(
  {
    status: Type.Optional(literals(incidentStatuses)),
    system: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    severity: Type.Optional(literals(incidentSeverities)),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'opened at or after (ISO 8601)' })),
    limit: Type.Optional(digits('page size, 1..500 (default 50)')),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

const LinkViewSchema = Type.Object({
  kind: Type.String(),
  ref: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  targetLedgerIndex: Type.Union([Type.Number(), Type.Null()]),
  linkedBy: Type.String(),
  linkedAt: Type.String(),
  ledgerIndex: Type.Number(),
});

export const IncidentViewSchema = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    severity: Type.String(),
    status: Type.String(),
    system: Type.Union([Type.String(), Type.Null()]),
    description: Type.Union([Type.String(), Type.Null()]),
    trigger: Type.String(),
    openedBy: Type.String(),
    openedAt: Type.String(),
    paged: Type.Record(Type.String(), Type.Unknown()),
    ledgerIndex: Type.Number(),
    resolvedBy: Type.Union([Type.String(), Type.Null()]),
    resolvedAt: Type.Union([Type.String(), Type.Null()]),
    resolution: Type.Union([Type.String(), Type.Null()]),
    resolvedLedgerIndex: Type.Union([Type.Number(), Type.Null()]),
    links: Type.Optional(Type.Array(LinkViewSchema)),
  },
  { additionalProperties: false, description: 'An incident; its links only when read by id' },
);

export const TraceSchema = Type.Object(
  {
    format: Type.String(),
    generatedAt: Type.String(),
    subject: Type.Object({ kind: Type.String(), id: Type.String() }),
    verified: Type.Boolean(),
  },
  {
    additionalProperties: true,
    description: 'The accountability trace (docs/incidents.md); every step with its ledger proof',
  },
);
