import { type Static, Type } from '@sinclair/typebox';
import { literals } from '../../core/json-schema.js';
import { incidentLinkKinds, incidentSeverities } from '../../incidents/incident.js';

const notBlank = { pattern: '\\S', description: 'not blank' } as const;

/** Opening an incident; `decision` is linked at once. */
export const OpenIncidentRequestSchema = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 500, ...notBlank }),
    severity: Type.Optional(literals(incidentSeverities)),
    system: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    decision: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'linked at opening' })),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false },
);
export type OpenIncidentRequest = Static<typeof OpenIncidentRequestSchema>;

/** Linking what led to an incident. */
export const LinkIncidentRequestSchema = Type.Object(
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
export type LinkIncidentRequest = Static<typeof LinkIncidentRequestSchema>;

/** Resolving an incident, once. */
export const ResolveIncidentRequestSchema = Type.Object(
  { summary: Type.String({ minLength: 1, maxLength: 10_000, ...notBlank }) },
  { additionalProperties: false },
);
export type ResolveIncidentRequest = Static<typeof ResolveIncidentRequestSchema>;
