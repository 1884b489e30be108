import { useApiQuery } from '../api/hooks.js';
import type { Decision } from '../api/types.js';
import { StatusBadge } from '../components/Badge.js';
import {
  ApprovalProgress,
  RequestDetails,
  RuleList,
  resourceLabel,
  VoteForm,
} from '../components/DecisionParts.js';
import { InclusionCheck } from '../components/InclusionCheck.js';
import { QueryView } from '../components/States.js';
import { Time } from '../components/Time.js';
import { decisionStatusMeaning, missingOutcomeText } from '../decision-status.js';
import { Link, useTitle } from '../router.js';
import { ownerTeams, useSystems } from '../systems.js';

/** One decision: the request, the full explanation, approvals, outcome and its ledger entry. */
export function DecisionPage({ id }: { id: string }) {
  useTitle(`Decision ${id}`);
  const decision = useApiQuery<Decision>(
    `/v1/decisions/${encodeURIComponent(id)}`,
    {},
    {
      // Pending and allowed decisions still change by themselves (approved, started, expired).
      refetchInterval: (query) =>
        query.state.data?.status === 'pending' || query.state.data?.status === 'allowed' ? 3_000 : false,
    },
  );
  const systems = useSystems();
  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/decisions">Decisions</Link> / <code>{id}</code>
      </p>
      <QueryView query={decision} loading="Loading the decision…">
        {(d) => (
          <DecisionBody decision={d} ownerTeam={ownerTeams(systems.data?.systems).get(d.systemId ?? '')} />
        )}
      </QueryView>
    </section>
  );
}

function DecisionBody({ decision, ownerTeam }: { decision: Decision; ownerTeam: string | undefined }) {
  return (
    <>
      <header className="page-head">
        <h1>
          <span className="action">{decision.action}</span> {resourceLabel(decision)}
        </h1>
        <p className="head-badges">
          <StatusBadge status={decision.status} title={decisionStatusMeaning[decision.status]} />
          <span className="muted">effect</span> <StatusBadge status={decision.effect} />
          {decision.statusReason ? <span className="muted">({decision.statusReason})</span> : null}
        </p>
      </header>
      <dl className="summary-grid">
        <div>
          <dt>Requested by</dt>
          <dd>
            {decision.actor.id} <span className="muted">({decision.actor.kind})</span>
          </dd>
        </div>
        <div>
          <dt>System</dt>
          <dd>
            {decision.systemId ? (
              <Link to="/systems">{decision.systemId}</Link>
            ) : (
              <span className="muted">a person</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Asked</dt>
          <dd>
            <Time value={decision.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Last change</dt>
          <dd>
            <Time value={decision.updatedAt} />
          </dd>
        </div>
        {decision.expiresAt && decision.status === 'pending' ? (
          <div>
            <dt>Approval expires</dt>
            <dd>
              <Time value={decision.expiresAt} />
            </dd>
          </div>
        ) : null}
        {decision.expiresAt && decision.status === 'allowed' ? (
          <div>
            <dt>Start by</dt>
            <dd>
              <Time value={decision.expiresAt} />
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Status</dt>
          <dd>{decisionStatusMeaning[decision.status]}</dd>
        </div>
        <div>
          <dt>Policy bundle</dt>
          <dd>
            <code className="digest" title={decision.bundle}>
              {decision.bundle}
            </code>
          </dd>
        </div>
        <div>
          <dt>Request hash</dt>
          <dd>
            <code className="digest" title={decision.requestHash}>
              {decision.requestHash}
            </code>
          </dd>
        </div>
        <div>
          <dt>Decision id</dt>
          <dd>
            <code>{decision.id}</code>
          </dd>
        </div>
      </dl>

      <section className="panel" aria-labelledby="request-h">
        <h2 id="request-h">Request</h2>
        <RequestDetails decision={decision} />
      </section>

      <section className="panel" aria-labelledby="explanation-h">
        <h2 id="explanation-h">Explanation</h2>
        <h3>Rules that fired</h3>
        <RuleList
          reasons={decision.reasons}
          empty={`No rule fired${decision.statusReason ? `: ${decision.statusReason}` : ''}.`}
        />
        {decision.shadow.length > 0 ? (
          <>
            <h3>Shadow policies (recorded, not enforced)</h3>
            <RuleList reasons={decision.shadow} />
          </>
        ) : null}
        {decision.notFired.length > 0 ? (
          <details>
            <summary>Rules that did not fire ({decision.notFired.length})</summary>
            <RuleList reasons={decision.notFired} />
          </details>
        ) : null}
      </section>

      <section className="panel" aria-labelledby="approvals-h">
        <h2 id="approvals-h">Approvals</h2>
        {decision.approvals.required.length === 0 && decision.approvals.received.length === 0 ? (
          <p className="muted">No approval was needed.</p>
        ) : (
          <>
            <ApprovalProgress decision={decision} />
            <VoteForm decision={decision} ownerTeam={ownerTeam} />
          </>
        )}
      </section>

      <section className="panel" aria-labelledby="outcome-h">
        <h2 id="outcome-h">Outcome</h2>
        {decision.outcome ? (
          <p>
            <StatusBadge status={decision.outcome.status} /> reported <Time value={decision.outcome.at} />
            {decision.outcome.detail ? <q>{decision.outcome.detail}</q> : null}{' '}
            <span className="muted">(ledger entry #{decision.outcome.ledgerIndex})</span>
          </p>
        ) : (
          <p className="muted">{missingOutcomeText(decision.status)}</p>
        )}
      </section>

      <section className="panel" aria-labelledby="ledger-h">
        <h2 id="ledger-h">Ledger</h2>
        <p>
          Recorded as ledger entry <strong>#{decision.ledgerIndex}</strong> (<code>decision.created</code>).
        </p>
        <InclusionCheck seq={decision.ledgerIndex} label="this decision" />
      </section>
    </>
  );
}
