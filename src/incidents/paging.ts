import { type Static, Type } from '@sinclair/typebox';
import { Nullable } from '../core/json-schema.js';
import type { NotifierConfig } from '../policy/bundle.js';
import type { OnCallRotationRecord } from '../policy/on-call.js';
import { onCallAt } from './rotation.js';

/**
 * "Who gets paged": a System's on-call contact resolved at one instant. Recorded with an incident
 * when it opens, so the trace names who was paged then, not who is on call when someone reads it.
 */

/** A System's `onCall` as the governance repository declares it. */
export interface OnCallSpec {
  team?: string;
  person?: string;
  rotation?: string;
  pagerdutyRoutingKey?: string;
}

export const PagedContactSchema = Type.Object(
  {
    at: Type.String({ description: 'When the contact was resolved (ISO 8601)' }),
    team: Nullable(Type.String({ description: 'The on-call team (`onCall.team`), else the owner team' })),
    person: Nullable(Type.String()),
    source: Type.Union(
      [
        Type.Literal('override'),
        Type.Literal('rotation'),
        Type.Literal('onCall.person'),
        Type.Literal('none'),
      ],
      { description: 'Where `person` came from' },
    ),
    rotation: Nullable(Type.String()),
    shift: Nullable(
      Type.Object(
        { from: Type.String(), to: Type.String() },
        { description: 'The shift (or override) the person was on: [from, to)' },
      ),
    ),
    pagerdutyRoutingKey: Nullable(
      Type.String({
        description:
          'The name of the environment variable holding the PagerDuty routing key the page goes to; never a key itself',
      }),
    ),
    note: Type.Optional(
      Type.String({
        description:
          'Why the contact is less than it could be (e.g. a rotation the repository does not define)',
      }),
    ),
  },
  { description: "Who was paged: a System's on-call contact resolved at one instant" },
);
/**
 * A contact resolved at one instant. `pagerdutyRoutingKey` names an environment variable: a literal
 * key in a System document is not recorded.
 */
export type PagedContact = Static<typeof PagedContactSchema>;

const envName = /^[A-Z_][A-Z0-9_]*$/;

/** The routing-key variable a PagerDuty notifier would use for incidents of this owner team. */
function notifierRoutingKey(
  notifiers: readonly NotifierConfig[],
  ownerTeam: string | undefined,
): string | null {
  for (const notifier of notifiers) {
    if (notifier.type !== 'pagerduty' || !notifier.events.includes('incident.opened')) continue;
    if (notifier.teams !== undefined && (ownerTeam === undefined || !notifier.teams.includes(ownerTeam)))
      continue;
    const key = (ownerTeam ? notifier.routingKeys[ownerTeam] : undefined) ?? notifier.defaultRoutingKeyEnv;
    if (key) return key;
  }
  return null;
}

/** Resolves the on-call contact of a System at `at`: rotation (with overrides), else `onCall.person`. */
export function pagedContact(input: {
  onCall: OnCallSpec | undefined;
  ownerTeam: string | undefined;
  rotations: readonly OnCallRotationRecord[];
  notifiers: readonly NotifierConfig[];
  at: Date;
}): PagedContact {
  const onCall = input.onCall ?? {};
  const declaredKey =
    onCall.pagerdutyRoutingKey && envName.test(onCall.pagerdutyRoutingKey)
      ? onCall.pagerdutyRoutingKey
      : null;
  const base = {
    at: input.at.toISOString(),
    team: onCall.team ?? input.ownerTeam ?? null,
    rotation: onCall.rotation ?? null,
    pagerdutyRoutingKey: declaredKey ?? notifierRoutingKey(input.notifiers, input.ownerTeam),
  };
  const rotation = onCall.rotation
    ? input.rotations.find((candidate) => candidate.name === onCall.rotation)
    : undefined;
  if (rotation) {
    const shift = onCallAt(rotation, input.at);
    return {
      ...base,
      person: shift.person,
      source: shift.source,
      shift: { from: shift.from, to: shift.to },
    };
  }
  const note = onCall.rotation
    ? `rotation ${onCall.rotation} is not defined in the governance repository (kind: OnCallRotation)`
    : undefined;
  return {
    ...base,
    person: onCall.person ?? null,
    source: onCall.person ? 'onCall.person' : 'none',
    shift: null,
    ...(note ? { note } : {}),
  };
}
