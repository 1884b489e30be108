import type { JsonObject, JsonValue } from '../core/json.js';
import type { DecisionRow } from '../decisions/records.js';
import { actorName, parseActorRef } from '../identity/actor-ref.js';
import type { AlertState } from '../monitor/alerts.js';
import { anyGlobMatches } from '../policy/glob.js';
import type { IncidentSettings } from '../policy/on-call.js';
import type { SystemRow } from '../registry/records.js';
import {
  type AlertRef,
  formatAlertRef,
  type IncidentLinkKind,
  type IncidentSeverity,
  type IncidentTrigger,
  severityOfAlert,
  severityOfOutcome,
} from './incident.js';
import type { PagedContact } from './paging.js';
import type { IncidentLinkRow, IncidentRow } from './records.js';

/**
 * Opening an incident as pure functions: the incidents Arbiter opens by itself (the bundle's
 * `incidents.openOn`), and what opening one writes — the `incident.opened` entry's data and
 * personal data, the incident row, the link rows.
 */

/** A link about to be made: what it names, and the ledger entry of what it names. */
export interface NewLink {
  kind: IncidentLinkKind;
  ref: string;
  note?: string;
  targetLedgerIndex?: number;
  systemId?: string;
}

/** An incident about to be opened, with its first links. */
export interface NewIncident {
  title: string;
  severity: IncidentSeverity;
  systemId?: string;
  system?: SystemRow;
  description?: string;
  trigger: IncidentTrigger;
  dedupKey?: string;
  openedBy: string;
  links: NewLink[];
}

/**
 * The incident a reported outcome opens, or undefined when it opens none: a failed or rolled-back
 * outcome of a System's decision, of a status and in an environment `openOn` names. (The caller
 * still opens at most one incident per decision.)
 */
export function outcomeIncident(
  openOn: IncidentSettings['openOn'],
  decision: DecisionRow,
  system: SystemRow | undefined,
): NewIncident | undefined {
  const status = decision.outcome?.status;
  if (!decision.systemId || status === undefined || status === 'succeeded') return undefined;
  if (!openOn.outcomes.includes(status) || !anyGlobMatches(openOn.environments, decision.environment))
    return undefined;
  const where = `${decision.resourceType}:${decision.resourceId}${decision.environment ? ` in ${decision.environment}` : ''}`;
  return {
    title: `${decision.action} of ${where} by ${actorName(decision.actorId)} ${status === 'failed' ? 'failed' : 'was rolled back'}`,
    severity: severityOfOutcome[status],
    systemId: decision.systemId,
    ...(system ? { system } : {}),
    ...(decision.outcome?.detail ? { description: decision.outcome.detail } : {}),
    trigger: 'outcome',
    dedupKey: `decision:${decision.id}`,
    openedBy: 'arbiter',
    links: [{ kind: 'decision', ref: decision.id, targetLedgerIndex: decision.ledgerIndex }],
  };
}

/** An alert's firing, as an incident sees it: which System, its state, and the `alert.firing` entry. */
export interface AlertFiring {
  system: string;
  state: AlertState;
  ledgerIndex: number;
}

/** The link to one firing of an alert, and the key of the one open incident per alert. */
export function alertFiringLink(firing: AlertFiring): { link: NewLink; dedupKey: string } {
  const alert: AlertRef = { system: firing.system, policy: firing.state.policy, alert: firing.state.alert };
  return {
    link: {
      kind: 'alert',
      ref: formatAlertRef({ ...alert, seq: firing.ledgerIndex }),
      targetLedgerIndex: firing.ledgerIndex,
    },
    dedupKey: `alert:${formatAlertRef(alert)}`,
  };
}

/** True when an alert of this severity opens an incident (`openOn.alertSeverities`). */
export function alertOpensIncident(openOn: IncidentSettings['openOn'], state: AlertState): boolean {
  return openOn.alertSeverities.includes(state.severity);
}

/** The incident a firing alert opens when none is open for it. */
export function alertIncident(firing: AlertFiring, system: SystemRow | undefined): NewIncident {
  const { state } = firing;
  const { link, dedupKey } = alertFiringLink(firing);
  return {
    title: `${firing.system}: ${state.alert} is firing`,
    severity: severityOfAlert[state.severity],
    systemId: firing.system,
    ...(system ? { system } : {}),
    description: state.message,
    trigger: 'alert',
    dedupKey,
    openedBy: 'arbiter',
    links: [link],
  };
}

/**
 * The `incident.opened` entry: who was paged and the links as data; the description and the
 * paged person as personal data (erasable beside the ledger).
 */
export function openedEntry(
  incident: NewIncident,
  paged: PagedContact,
): { data: JsonObject; personal?: Record<string, JsonValue> } {
  const { person, ...pagedRecord } = paged;
  // An agent's own title is agent-supplied text: erasable, the entry keeps its size.
  const agentTitle = incident.trigger === 'manual' && parseActorRef(incident.openedBy)?.kind === 'system';
  const personal: Record<string, JsonValue> = {
    ...(person ? { pagedPerson: person } : {}),
    ...(incident.description ? { description: incident.description } : {}),
    ...(agentTitle ? { title: incident.title } : {}),
  };
  const data = JSON.parse(
    JSON.stringify({
      ...(agentTitle
        ? { title: null, titleSize: Buffer.byteLength(incident.title, 'utf8') }
        : { title: incident.title }),
      severity: incident.severity,
      system: incident.systemId ?? null,
      trigger: incident.trigger,
      paged: pagedRecord,
      links: incident.links.map((link) => ({
        kind: link.kind,
        ref: link.ref,
        ledgerIndex: link.targetLedgerIndex ?? null,
      })),
    }),
  ) as JsonObject;
  return { data, ...(Object.keys(personal).length > 0 ? { personal } : {}) };
}

/** The row of a newly opened incident, whose `incident.opened` entry is `ledgerIndex`. */
export function newIncidentRow(
  incident: NewIncident,
  opened: { id: string; at: string; paged: PagedContact; ledgerIndex: number },
): IncidentRow {
  return {
    id: opened.id,
    title: incident.title,
    severity: incident.severity,
    status: 'open',
    ...(incident.systemId ? { systemId: incident.systemId } : {}),
    ...(incident.description ? { description: incident.description } : {}),
    trigger: incident.trigger,
    ...(incident.dedupKey ? { dedupKey: incident.dedupKey } : {}),
    openedBy: incident.openedBy,
    openedAt: opened.at,
    paged: JSON.parse(JSON.stringify(opened.paged)) as JsonObject,
    ledgerIndex: opened.ledgerIndex,
    updatedAt: opened.at,
  };
}

/** The row of one link, made by `by` at `at` and recorded by ledger entry `ledgerIndex`. */
export function newLinkRow(
  incidentId: string,
  link: NewLink,
  made: { by: string; at: string; ledgerIndex: number },
): IncidentLinkRow {
  return {
    incidentId,
    kind: link.kind,
    ref: link.ref,
    ...(link.note ? { note: link.note } : {}),
    ...(link.targetLedgerIndex === undefined ? {} : { targetLedgerIndex: link.targetLedgerIndex }),
    linkedBy: made.by,
    linkedAt: made.at,
    ledgerIndex: made.ledgerIndex,
  };
}
