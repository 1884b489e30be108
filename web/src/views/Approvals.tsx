import { useEffect, useRef, useState } from 'react';
import { useApiQuery } from '../api/hooks.js';
import type { Decision } from '../api/types.js';
import { voteEligibility } from '../approvals/eligibility.js';
import { Badge } from '../components/Badge.js';
import {
  ApprovalProgress,
  RequestDetails,
  RuleList,
  resourceLabel,
  VoteForm,
} from '../components/DecisionParts.js';
import { Empty, QueryView } from '../components/States.js';
import { Time } from '../components/Time.js';
import { Link, useTitle } from '../router.js';
import { useSession } from '../session.js';
import { ownerTeams, useSystems } from '../systems.js';

const pollMs = 3_000;

/**
 * The approvals inbox: pending decisions, newest first, those the signed-in person can vote on
 * at the top. It polls every few seconds, so votes by other approvers show up by themselves, and
 * says so when a decision leaves the inbox.
 */
export function ApprovalsView() {
  useTitle('Approvals');
  const { me } = useSession();
  const pending = useApiQuery<{ decisions: Decision[] }>(
    '/v1/decisions',
    { status: 'pending', limit: 200 },
    { refetchInterval: pollMs, refetchIntervalInBackground: false },
  );
  const systems = useSystems();
  const teams = ownerTeams(systems.data?.systems);
  const [notices, setNotices] = useState<string[]>([]);
  const previous = useRef<Map<string, Decision> | undefined>(undefined);
  const mine = useRef(new Set<string>());

  useEffect(() => {
    const decisions = pending.data?.decisions;
    if (!decisions) return;
    const now = new Map(decisions.map((decision) => [decision.id, decision]));
    if (previous.current) {
      const gone = [...previous.current.values()].filter(
        (decision) => !now.has(decision.id) && !mine.current.has(decision.id),
      );
      if (gone.length > 0)
        setNotices((list) =>
          [
            ...gone.map(
              (decision) =>
                `${decision.action} ${resourceLabel(decision)} (${decision.id}) is no longer pending.`,
            ),
            ...list,
          ].slice(0, 5),
        );
    }
    previous.current = now;
  }, [pending.data]);

  const onVoted = (decision: Decision) => {
    if (decision.status !== 'pending') mine.current.add(decision.id);
    setNotices((list) =>
      [
        `Your vote on ${decision.action} ${resourceLabel(decision)} was recorded: it is now ${decision.status}${
          decision.status === 'pending' ? ', waiting for more approvals' : ''
        }.`,
        ...list,
      ].slice(0, 5),
    );
  };

  const canAct = me.role === 'approver' || me.role === 'admin';
  return (
    <section className="page">
      <header className="page-head">
        <h1>Approvals</h1>
        <p className="muted">
          {canAct
            ? 'Pending requests from AI agents and people. Votes by other approvers appear here within a few seconds.'
            : 'Pending requests. As an auditor you can read them; approvers vote.'}
          {pending.isFetching ? <span className="visually-hidden"> Refreshing.</span> : null}
        </p>
      </header>
      <div aria-live="polite" className="notices">
        {notices.map((notice, index) => (
          <p key={`${index}-${notice}`} className="notice">
            {notice}
          </p>
        ))}
      </div>
      <QueryView query={pending} loading="Loading pending decisions…">
        {({ decisions }) => {
          if (decisions.length === 0)
            return (
              <Empty title="Nothing is waiting for approval">
                New requests that need a human appear here by themselves.
              </Empty>
            );
          const rank = (decision: Decision) =>
            voteEligibility(me, decision, teams.get(decision.systemId ?? '')).canVote ? 0 : 1;
          const sorted = [...decisions].sort((a, b) => rank(a) - rank(b));
          const actionable = sorted.filter((decision) => rank(decision) === 0).length;
          return (
            <>
              {canAct ? (
                <p className="summary-line">
                  <strong>{actionable}</strong> waiting for you, {decisions.length - actionable} waiting for
                  others.
                </p>
              ) : null}
              <ol className="cards">
                {sorted.map((decision) => (
                  <li key={decision.id}>
                    <PendingCard
                      decision={decision}
                      ownerTeam={teams.get(decision.systemId ?? '')}
                      onVoted={onVoted}
                    />
                  </li>
                ))}
              </ol>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

function PendingCard({
  decision,
  ownerTeam,
  onVoted,
}: {
  decision: Decision;
  ownerTeam: string | undefined;
  onVoted: (decision: Decision) => void;
}) {
  const approvalRules = decision.reasons.filter((reason) => reason.effect === 'require_approval');
  return (
    <article
      className="card pending-card"
      aria-labelledby={`${decision.id}-title`}
      data-decision={decision.id}
    >
      <header className="card-head">
        <h2 id={`${decision.id}-title`}>
          <Link to={`/decisions/${encodeURIComponent(decision.id)}`}>
            <span className="action">{decision.action}</span> {resourceLabel(decision)}
          </Link>
        </h2>
        <div className="card-meta">
          <Badge tone={decision.actor.kind === 'agent' ? 'info' : 'neutral'}>{decision.actor.kind}</Badge>
          <strong>{decision.actor.id}</strong>
          <span>
            asked <Time value={decision.createdAt} />
          </span>
          {decision.expiresAt ? (
            <span>
              expires <Time value={decision.expiresAt} />
            </span>
          ) : null}
        </div>
      </header>
      <RequestDetails decision={decision} />
      <h3>Why it needs approval</h3>
      <RuleList reasons={approvalRules} empty="No rule asked for approval." />
      <h3>Approvals</h3>
      <ApprovalProgress decision={decision} />
      <VoteForm decision={decision} ownerTeam={ownerTeam} onVoted={onVoted} />
    </article>
  );
}
