import { ArbiterError } from '../core/errors.js';
import type { DecisionReads } from '../decisions/records.js';
import type { GateRunReads } from '../gate/records.js';
import { actorRef, type Principal } from '../identity/principal.js';
import type { LedgerEntry } from '../ledger/entry.js';
import type { LedgerReader } from '../ledger/storage.js';
import { type AlertRef, formatAlertRef, type IncidentLinkKind, parseAlertRef } from './incident.js';
import type { NewLink } from './opening.js';
import type { IncidentReads } from './records.js';

/** What finding a link's target reads: decisions, gate runs, and ledger entries about an alert's System. */
export type LinkTargetReads = Pick<DecisionReads, 'getDecision'> &
  Pick<GateRunReads, 'gateRun'> &
  Pick<IncidentReads, 'ledgerEntriesAbout'> & { readonly ledger: Pick<LedgerReader, 'entries'> };

/**
 * What a link names, looked up in committed state (decisions, gate runs and fired alerts never
 * change identity): its canonical ref and ledger entry. Agents may name only their own decisions.
 */
export async function linkTarget(
  reads: LinkTargetReads,
  principal: Principal,
  kind: IncidentLinkKind,
  ref: string,
): Promise<NewLink> {
  const unknown = (what: string) =>
    new ArbiterError('ARB_ERR_INCIDENT_LINK_UNKNOWN', `no ${what} ${ref}`, { details: { kind, ref } });
  switch (kind) {
    case 'decision': {
      const decision = await reads.getDecision(ref);
      if (!decision || (principal.role === 'agent' && decision.actorId !== actorRef(principal)))
        throw unknown('decision');
      return {
        kind,
        ref: decision.id,
        targetLedgerIndex: decision.ledgerIndex,
        ...(decision.systemId ? { systemId: decision.systemId } : {}),
      };
    }
    case 'gate_run': {
      const run = await reads.gateRun(ref);
      if (!run) throw unknown('gate run');
      return { kind, ref: run.id, targetLedgerIndex: run.ledgerIndex, systemId: run.systemId };
    }
    case 'alert': {
      const alert = parseAlertRef(ref);
      if (!alert)
        throw new ArbiterError(
          'ARB_ERR_REQUEST_INVALID',
          `an alert is named system/policy/alert, optionally with #ledgerIndex of one firing: not ${ref}`,
        );
      const seq = await firingOf(reads, alert);
      if (seq === undefined) throw unknown('firing of alert');
      return {
        kind,
        ref: formatAlertRef({ ...alert, seq }),
        targetLedgerIndex: seq,
        systemId: alert.system,
      };
    }
    case 'deployment':
      return { kind, ref };
  }
}

/** The ledger index of the alert's firing: the one named by `#seq`, else the latest. */
async function firingOf(reads: LinkTargetReads, alert: AlertRef): Promise<number | undefined> {
  const candidates =
    alert.seq === undefined
      ? await reads.ledgerEntriesAbout({
          subject: alert.system,
          types: ['alert.firing'],
          newestFirst: true,
          limit: 1000,
        })
      : await reads.ledger.entries(alert.seq, alert.seq + 1);
  for (const stored of candidates) {
    const entry = JSON.parse(Buffer.from(stored.bytes).toString('utf8')) as LedgerEntry;
    if (
      entry.type === 'alert.firing' &&
      entry.subject === alert.system &&
      entry.data.policy === alert.policy &&
      entry.data.alert === alert.alert
    )
      return stored.seq;
  }
  return undefined;
}
