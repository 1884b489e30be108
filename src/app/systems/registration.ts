import { type Static, Type } from '@sinclair/typebox';
import { SystemSpec } from '../../policy/documents.js';

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
/** What an API caller registers: the System document's spec plus its id. */
export type SystemRegistration = Static<typeof SystemRegistrationSchema>;
