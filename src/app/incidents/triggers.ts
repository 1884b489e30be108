import {
  type AlertRef,
  formatAlertRef,
  severityOfAlert,
  severityOfOutcome,
} from '../../incidents/incident.js';
import { anyGlobMatches } from '../../policy/glob.js';
import type { DecisionRow, SystemRow } from '../../store/records.js';
import type { StoreTransaction } from '../../store/store.js';
import type { AlertChange } from '../monitoring/alert-events.js';
import type { PolicyHolder } from '../policies/policies.js';
import type { IncidentWriter, NewLink } from './writer.js';

/**
 * Incidents Arbiter opens by itself, as the bundle's `incidents.openOn` says: from failed or
 * rolled-back production outcomes of a System's decisions and from alerts of the configured
 * severities, in the transaction that records them. One incident per decision; one open incident
 * per alert.
 */
export class IncidentTriggers {
  constructor(
    private readonly writer: IncidentWriter,
    private readonly policies: PolicyHolder,
  ) {}

  /** A failed or rolled-back production outcome of a System's decision opens one incident per decision. */
  async afterOutcome(
    tx: StoreTransaction,
    decision: DecisionRow,
    system: SystemRow | undefined,
  ): Promise<void> {
    const { openOn } = this.policies.bundle.incidents;
    const status = decision.outcome?.status;
    if (!decision.systemId || status === undefined || status === 'succeeded') return;
    if (!openOn.outcomes.includes(status) || !anyGlobMatches(openOn.environments, decision.environment))
      return;
    if ((await tx.incidentsLinking('decision', decision.id)).length > 0) return;
    const where = `${decision.resourceType}:${decision.resourceId}${decision.environment ? ` in ${decision.environment}` : ''}`;
    await this.writer.open(tx, {
      title: `${decision.action} of ${where} by ${decision.actorId} ${status === 'failed' ? 'failed' : 'was rolled back'}`,
      severity: severityOfOutcome[status],
      systemId: decision.systemId,
      ...(system ? { system } : {}),
      ...(decision.outcome?.detail ? { description: decision.outcome.detail } : {}),
      trigger: 'outcome',
      dedupKey: `decision:${decision.id}`,
      openedBy: 'arbiter',
      links: [{ kind: 'decision', ref: decision.id, targetLedgerIndex: decision.ledgerIndex }],
    });
  }

  /** An alert of a configured severity opens one incident while it stays open; firing again links to it. */
  async afterAlertFired(
    tx: StoreTransaction,
    change: AlertChange,
    system: SystemRow | undefined,
    ledgerIndex: number,
  ): Promise<void> {
    const { state } = change;
    if (!this.policies.bundle.incidents.openOn.alertSeverities.includes(state.severity)) return;
    const alert: AlertRef = { system: change.system, policy: state.policy, alert: state.alert };
    const link: NewLink = {
      kind: 'alert',
      ref: formatAlertRef({ ...alert, seq: ledgerIndex }),
      targetLedgerIndex: ledgerIndex,
    };
    const dedupKey = `alert:${formatAlertRef(alert)}`;
    const open = await tx.openIncidentByDedupKey(dedupKey);
    if (open) {
      await this.writer.link(tx, open, { ...link, note: 'the alert fired again' }, 'arbiter');
      return;
    }
    await this.writer.open(tx, {
      title: `${change.system}: ${state.alert} is firing`,
      severity: severityOfAlert[state.severity],
      systemId: change.system,
      ...(system ? { system } : {}),
      description: state.message,
      trigger: 'alert',
      dedupKey,
      openedBy: 'arbiter',
      links: [link],
    });
  }
}
