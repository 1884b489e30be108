import type { JsonObject } from '../../core/json.js';
import { notificationSeverityOf } from '../../incidents/incident.js';
import type { NotificationEvent } from '../../notify/event.js';
import type { IncidentLinkRow, IncidentRow, SystemRow } from '../../store/records.js';
import { ownerTeamOf } from '../systems/systems.js';
import { incidentLinkView, incidentView } from './view.js';

/**
 * The notification of an incident opening or resolving, routed to the System's owner team. The
 * subject is the incident id, so PagerDuty pairs the resolution with the page it ends; the
 * resolution keeps the incident's severity, so a notifier with a minimum severity hears both.
 */
export function incidentEvent(
  type: 'incident.opened' | 'incident.resolved',
  incident: IncidentRow,
  system: SystemRow | undefined,
  links: readonly IncidentLinkRow[],
): Omit<NotificationEvent, 'id' | 'time'> {
  const team = ownerTeamOf(system);
  const systemId = incident.systemId;
  return {
    type,
    subject: incident.id,
    severity: notificationSeverityOf[incident.severity],
    ...(team ? { team } : {}),
    ...(systemId ? { systemId } : {}),
    summary:
      type === 'incident.opened'
        ? `${incident.severity} incident ${incident.id} opened${systemId ? ` for ${systemId}` : ''}: ${incident.title}`
        : `incident ${incident.id} resolved by ${incident.resolvedBy ?? 'someone'}: ${incident.title}`,
    data: JSON.parse(
      JSON.stringify({
        incident: incidentSummary(incident),
        paged: incident.paged,
        links: links.map(incidentLinkView),
      }),
    ) as JsonObject,
  };
}

/** What a notification says about an incident: its view, without free text, pager or resolution. */
function incidentSummary(incident: IncidentRow) {
  const { description, paged, resolution, resolvedLedgerIndex, links, ...summary } = incidentView(incident);
  return summary;
}
