import type { JsonObject } from '../core/json.js';
import type { NotifierConfig } from '../policy/bundle.js';
import type { NotificationEventType, NotificationSeverity } from '../policy/documents.js';

/** Something people should hear about, before it is shaped for a particular receiver. */
export interface NotificationEvent {
  id: string;
  type: NotificationEventType;
  /** ISO 8601 time of the change. */
  time: string;
  /** What it is about: a decision id, a System id, an alert id. */
  subject: string;
  severity: NotificationSeverity;
  /** The owner team of the System concerned, for routing. */
  team?: string;
  systemId?: string;
  /** One line a person understands. */
  summary: string;
  /** Where to look: the decision in the dashboard, the System. */
  link?: string;
  data: JsonObject;
}

const severityRank: Record<NotificationSeverity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

/** The notifiers an event goes to: subscribed to its type, serving its team, at or above their minimum severity. */
export function routeEvent(notifiers: readonly NotifierConfig[], event: NotificationEvent): NotifierConfig[] {
  return notifiers.filter(
    (notifier) =>
      notifier.events.includes(event.type) &&
      (notifier.teams === undefined || (event.team !== undefined && notifier.teams.includes(event.team))) &&
      severityRank[event.severity] >= severityRank[notifier.minSeverity],
  );
}
