import type { DecisionRow } from '../../decisions/records.js';
import {
  alertFiringLink,
  alertIncident,
  alertOpensIncident,
  outcomeIncident,
} from '../../incidents/opening.js';
import type { SystemRow } from '../../registry/records.js';
import type { StoreTransaction } from '../../store/store.js';
import type { AlertChange } from '../monitoring/alert-events.js';
import type { PolicyHolder } from '../policies/policies.js';
import type { IncidentWriter } from './writer.js';

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
    const incident = outcomeIncident(this.policies.bundle.incidents.openOn, decision, system);
    if (!incident || (await tx.incidentsLinking('decision', decision.id)).length > 0) return;
    await this.writer.open(tx, incident);
  }

  /** An alert of a configured severity opens one incident while it stays open; firing again links to it. */
  async afterAlertFired(
    tx: StoreTransaction,
    change: AlertChange,
    system: SystemRow | undefined,
    ledgerIndex: number,
  ): Promise<void> {
    if (!alertOpensIncident(this.policies.bundle.incidents.openOn, change.state)) return;
    const firing = { system: change.system, state: change.state, ledgerIndex };
    const { link, dedupKey } = alertFiringLink(firing);
    const open = await tx.openIncidentByDedupKey(dedupKey);
    if (open) {
      await this.writer.link(tx, open, { ...link, note: 'the alert fired again' }, 'arbiter');
      return;
    }
    await this.writer.open(tx, alertIncident(firing, system));
  }
}
