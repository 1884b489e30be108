import type { SourceRef } from './bundle.js';
import type { BundleDocument, OnCallRotationDocument } from './documents.js';

/**
 * Compiling the governance documents about paging: `OnCallRotation` (who is on call when) and the
 * `incidents` section of the Bundle document (when Arbiter opens incidents by itself). Problems
 * are reported at load, so a bad rotation never reaches a page.
 */

export const weekdays = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;
export type Weekday = (typeof weekdays)[number];

/** An OnCallRotation document with its defaults applied; instants are ISO 8601 UTC. */
export interface OnCallRotationRecord {
  name: string;
  description?: string;
  /** IANA time zone the handoff time is read in. */
  timezone: string;
  handoff: { every: 'day' | 'week'; day: Weekday; at: string };
  /** Local date (YYYY-MM-DD) from whose first handoff on members[0] is on call. */
  start: string;
  members: readonly string[];
  overrides: readonly { from: string; to: string; person: string; reason?: string }[];
  source: SourceRef;
}

/** When Arbiter opens an incident by itself; an empty list opens none of that kind. */
export interface IncidentSettings {
  openOn: {
    outcomes: readonly ('failed' | 'rolled_back')[];
    environments: readonly string[];
    alertSeverities: readonly ('info' | 'warning' | 'critical')[];
  };
}

export const defaultIncidentSettings: IncidentSettings = {
  openOn: {
    outcomes: ['failed', 'rolled_back'],
    environments: ['prod', 'production'],
    alertSeverities: ['critical'],
  },
};

type Report = (path: (string | number)[], message: string) => void;

/** True when this runtime knows the IANA time zone. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(text: string): string | undefined {
  if (!rfc3339.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function isCalendarDate(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
}

export function compileOnCallRotation(
  document: OnCallRotationDocument,
  report: Report,
  source: SourceRef,
): OnCallRotationRecord {
  const { spec, metadata } = document;
  const timezone = spec.timezone ?? 'UTC';
  if (!isTimeZone(timezone))
    report(
      ['spec', 'timezone'],
      `timezone "${timezone}" is not an IANA time zone such as Europe/Berlin or UTC`,
    );
  const every = spec.handoff?.every ?? 'week';
  if (every === 'day' && spec.handoff?.day !== undefined)
    report(['spec', 'handoff', 'day'], 'day applies to weekly handoffs only (every: week)');
  const start = spec.start ?? '1970-01-01';
  if (!isCalendarDate(start))
    report(['spec', 'start'], `start "${start}" is not a calendar date (YYYY-MM-DD)`);
  const overrides = (spec.overrides ?? []).map((override, i) => {
    const path = ['spec', 'overrides', i];
    const from = instant(override.from);
    const to = instant(override.to);
    if (from === undefined)
      report(
        [...path, 'from'],
        `from "${override.from}" is not an RFC 3339 timestamp (2026-11-20T09:00:00Z)`,
      );
    if (to === undefined)
      report([...path, 'to'], `to "${override.to}" is not an RFC 3339 timestamp (2026-11-21T09:00:00Z)`);
    if (from !== undefined && to !== undefined && from >= to)
      report([...path, 'to'], `to (${override.to}) must be after from (${override.from})`);
    return {
      from: from ?? new Date(0).toISOString(),
      to: to ?? new Date(0).toISOString(),
      person: override.person,
      ...(override.reason ? { reason: override.reason } : {}),
    };
  });
  return {
    name: metadata.name,
    ...(metadata.description ? { description: metadata.description } : {}),
    timezone,
    handoff: { every, day: spec.handoff?.day ?? 'monday', at: spec.handoff?.at ?? '09:00' },
    start,
    members: [...spec.members],
    overrides,
    source,
  };
}

/**
 * The Bundle's `incidents` section. Without `openOn` the defaults apply; a given `openOn` is taken
 * as written, so `openOn: {}` turns automatic incidents off and an omitted list is empty.
 */
export function compileIncidentSettings(
  spec: NonNullable<BundleDocument['spec']['incidents']> | undefined,
  report: Report,
): IncidentSettings {
  const openOn = spec?.openOn;
  if (!openOn) return defaultIncidentSettings;
  const outcomes = openOn.outcomes ?? [];
  const environments = openOn.environments ?? [];
  if (outcomes.length > 0 !== environments.length > 0)
    report(
      ['spec', 'incidents', 'openOn', outcomes.length > 0 ? 'outcomes' : 'environments'],
      'outcomes and environments work together: with only one of them no outcome opens an incident (give both, or neither)',
    );
  return {
    openOn: {
      outcomes: [...new Set(outcomes)],
      environments: [...new Set(environments)],
      alertSeverities: [...new Set(openOn.alertSeverities ?? [])],
    },
  };
}
