import { type Static, Type } from '@sinclair/typebox';
import { literals, Nullable } from '../core/json-schema.js';
import type { NotificationSeverity } from '../policy/documents.js';
import { PagedContactSchema } from './paging.js';

/**
 * The nouns of an incident: how bad it is, what opened it, and what can be linked to it. Shared by
 * the store, the server, the client and the reports.
 */

/** sev1 is the worst (customers down), sev4 the mildest. */
export const incidentSeverities = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
export type IncidentSeverity = (typeof incidentSeverities)[number];

export const incidentStatuses = ['open', 'resolved'] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];

/** `manual` through the API or CLI; `outcome` and `alert` when Arbiter opened it by itself. */
export const incidentTriggers = ['manual', 'outcome', 'alert'] as const;
export type IncidentTrigger = (typeof incidentTriggers)[number];

export const incidentLinkKinds = ['decision', 'gate_run', 'alert', 'deployment'] as const;
export type IncidentLinkKind = (typeof incidentLinkKinds)[number];

/** How loud the incident's notifications are: sev1 and sev2 reach a PagerDuty notifier's default minimum (error). */
export const notificationSeverityOf: Readonly<Record<IncidentSeverity, NotificationSeverity>> = {
  sev1: 'critical',
  sev2: 'error',
  sev3: 'warning',
  sev4: 'info',
};

/** The severity of an incident Arbiter opens for a monitoring alert of this severity. */
export const severityOfAlert: Readonly<Record<'info' | 'warning' | 'critical', IncidentSeverity>> = {
  critical: 'sev2',
  warning: 'sev3',
  info: 'sev4',
};

/** The severity of an incident Arbiter opens for a production outcome: a rollback already limited the damage. */
export const severityOfOutcome: Readonly<Record<'failed' | 'rolled_back', IncidentSeverity>> = {
  failed: 'sev2',
  rolled_back: 'sev3',
};

/** An alert as an incident link names it: `system/policy/alert`, and `#seq` for one firing (its ledger entry). */
export interface AlertRef {
  system: string;
  policy: string;
  alert: string;
  seq?: number;
}

/** Parses `system/policy/alert[#seq]`; undefined when it is not that shape. */
export function parseAlertRef(ref: string): AlertRef | undefined {
  const match = /^([^/#\s]+)\/([^/#\s]+)\/([^/#\s]+)(?:#(\d{1,15}))?$/.exec(ref);
  if (!match) return undefined;
  return {
    system: match[1]!,
    policy: match[2]!,
    alert: match[3]!,
    ...(match[4] === undefined ? {} : { seq: Number(match[4]) }),
  };
}

export function formatAlertRef(ref: AlertRef): string {
  return `${ref.system}/${ref.policy}/${ref.alert}${ref.seq === undefined ? '' : `#${ref.seq}`}`;
}

export const IncidentLinkViewSchema = Type.Object({
  kind: literals(incidentLinkKinds),
  ref: Type.String(),
  note: Nullable(Type.String()),
  targetLedgerIndex: Nullable(Type.Number({ description: 'The ledger entry of what is linked, when known' })),
  linkedBy: Type.String(),
  linkedAt: Type.String(),
  ledgerIndex: Type.Number(),
});
export type IncidentLinkView = Static<typeof IncidentLinkViewSchema>;

/** An incident as the API returns it: every field present (null when unset). */
export const IncidentViewSchema = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    severity: literals(incidentSeverities),
    status: literals(incidentStatuses),
    system: Nullable(Type.String()),
    description: Nullable(Type.String()),
    trigger: literals(incidentTriggers),
    openedBy: Type.String(),
    openedAt: Type.String(),
    paged: PagedContactSchema,
    ledgerIndex: Type.Number(),
    resolvedBy: Nullable(Type.String()),
    resolvedAt: Nullable(Type.String()),
    resolution: Nullable(Type.String()),
    resolvedLedgerIndex: Nullable(Type.Number()),
    links: Type.Optional(
      Type.Array(IncidentLinkViewSchema, { description: 'Only when one incident is read' }),
    ),
  },
  { additionalProperties: false, description: 'An incident; its links only when read by id' },
);
export type IncidentView = Static<typeof IncidentViewSchema>;
