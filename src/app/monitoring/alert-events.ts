import type { JsonObject } from '../../core/json.js';
import type { AlertState } from '../../monitor/alerts.js';
import type { NotificationEvent } from '../../notify/event.js';
import type { SystemRow } from '../../registry/records.js';
import { ownerTeamOf } from '../../registry/systems.js';

/**
 * What an alert transition writes: the `alert.firing` / `alert.resolved` ledger entry's data and
 * the notification routed to the System's owner team.
 */

export type AlertTransition = 'fired' | 'resolved';

export interface AlertChange {
  system: string;
  transition: AlertTransition;
  /** The state after the step (for a resolution, `firingSince` comes from `previous`). */
  state: AlertState;
  previous?: AlertState;
  window: { start: number; end: number };
  /** SHA-256 of the profile the window was measured against. */
  profile: string;
}

export const alertEntryType = { fired: 'alert.firing', resolved: 'alert.resolved' } as const;

/** The ledger entry's data: what fired or cleared, why (message and facts), and over which window. */
export function alertEntryData(change: AlertChange): JsonObject {
  const { state } = change;
  return {
    system: change.system,
    policy: state.policy,
    alert: state.alert,
    severity: state.severity,
    message: state.message,
    facts: state.facts,
    window: {
      start: new Date(change.window.start).toISOString(),
      end: new Date(change.window.end).toISOString(),
    },
    firingSince: state.firingSince ?? change.previous?.firingSince ?? null,
    consecutive: state.consecutive,
    profile: change.profile,
  };
}

/**
 * The notification for an alert transition. The subject names the alert, so a receiver (PagerDuty's
 * dedup key) pairs the resolution with the page it ends; the severity stays the alert's on
 * resolution, so a notifier with a minimum severity hears both.
 */
export function alertEvent(
  change: AlertChange,
  system: SystemRow | undefined,
  ledgerIndex: number,
): Omit<NotificationEvent, 'id' | 'time'> {
  const { state } = change;
  const team = ownerTeamOf(system);
  return {
    type: alertEntryType[change.transition],
    subject: `${change.system}/${state.policy}/${state.alert}`,
    severity: state.severity,
    ...(team ? { team } : {}),
    systemId: change.system,
    summary:
      change.transition === 'fired'
        ? `${change.system}: ${state.alert} is firing: ${state.message}`
        : `${change.system}: ${state.alert} resolved`,
    data: { ...alertEntryData(change), ledgerIndex },
  };
}
