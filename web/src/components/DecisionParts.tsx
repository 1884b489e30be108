import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { ApiError } from '../api/client.js';
import type { Decision, Reason, Requirement } from '../api/types.js';
import { voteEligibility } from '../approvals/eligibility.js';
import { useSession } from '../session.js';
import { Badge, StatusBadge } from './Badge.js';
import { Facts } from './Facts.js';
import { Time } from './Time.js';

/** Pieces of a decision shared by the inbox and the decision page. */

export function resourceLabel(decision: Pick<Decision, 'resource'>): string {
  const { type, id, environment } = decision.resource;
  return `${type}:${id}${environment ? ` in ${environment}` : ''}`;
}

export function Confidence({ value }: { value: number | undefined }) {
  if (typeof value !== 'number') return <span className="muted">not given</span>;
  const percent = Math.round(value * 100);
  return (
    <span className="confidence">
      <meter min={0} max={1} low={0.7} high={0.9} optimum={1} value={value} aria-label="confidence" />
      <span>{percent}%</span>
    </span>
  );
}

/** The http(s) link of an evidence item `{url, title?}`; any other item is shown as JSON. */
function evidenceLink(item: unknown): { url: string; title: string } | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const { url, title } = item as { url?: unknown; title?: unknown };
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return undefined;
  return { url, title: typeof title === 'string' ? title : url };
}

/** Rationale, confidence, evidence, the change and the context, as the agent sent them. */
export function RequestDetails({ decision }: { decision: Decision }) {
  const { rationale, confidence, evidence, change, context } = decision.request;
  return (
    <dl className="details">
      <div>
        <dt>Rationale</dt>
        <dd className="rationale">{rationale ?? <span className="muted">none given</span>}</dd>
      </div>
      <div>
        <dt>Confidence</dt>
        <dd>
          <Confidence value={confidence} />
        </dd>
      </div>
      {change && Object.keys(change).length > 0 ? (
        <div>
          <dt>Change</dt>
          <dd>
            <Facts facts={change} />
          </dd>
        </div>
      ) : null}
      {evidence && evidence.length > 0 ? (
        <div>
          <dt>Evidence</dt>
          <dd>
            <ul className="evidence">
              {evidence.map((item, index) => {
                const link = evidenceLink(item);
                return (
                  <li key={`${link?.url ?? ''}-${index}`}>
                    {link ? (
                      <a href={link.url} target="_blank" rel="noreferrer noopener">
                        {link.title}
                      </a>
                    ) : (
                      <code>{JSON.stringify(item)}</code>
                    )}
                  </li>
                );
              })}
            </ul>
          </dd>
        </div>
      ) : null}
      {context && Object.keys(context).length > 0 ? (
        <div>
          <dt>Context</dt>
          <dd>
            <Facts facts={context} />
          </dd>
        </div>
      ) : null}
    </dl>
  );
}

/** Rules that fired: policy/rule, effect, message and the values their expressions read. */
export function RuleList({
  reasons,
  empty = 'No rule fired.',
}: {
  reasons: readonly Reason[];
  empty?: string;
}) {
  if (reasons.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="rules">
      {reasons.map((reason, index) => (
        <li key={`${reason.policy}/${reason.rule}/${index}`}>
          <div className="rule-head">
            {reason.effect ? <StatusBadge status={reason.effect} /> : null}
            <code>
              {reason.policy}/{reason.rule}
            </code>
          </div>
          {'message' in reason && reason.message ? <p>{reason.message}</p> : null}
          <Facts facts={reason.facts} />
        </li>
      ))}
    </ul>
  );
}

function requirementText(requirement: Requirement): string {
  const from = requirement.from.length > 0 ? ` from ${requirement.from.join(' and ')}` : '';
  return `${requirement.count} approver${requirement.count === 1 ? '' : 's'}${from}, within ${requirement.ttl}`;
}

/** Each approval requirement with its progress, and every vote so far. */
export function ApprovalProgress({ decision }: { decision: Decision }) {
  const { required, received } = decision.approvals;
  return (
    <div className="approvals">
      {required.length > 0 ? (
        <ul className="requirements">
          {required.map((requirement, index) => (
            <li key={`${requirement.from.join(',')}-${index}`}>
              <Badge tone={requirement.met ? 'good' : 'warn'}>
                {requirement.met ? 'met' : `${requirement.approvers.length} of ${requirement.count}`}
              </Badge>{' '}
              {requirementText(requirement)}
              {!requirement.met && requirement.missing.length > 0 ? (
                <span className="muted"> — still needs {requirement.missing.join(', ')}</span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {received.length > 0 ? (
        <ul className="votes" aria-label="Votes">
          {received.map((vote) => (
            <li key={`${vote.approver}-${vote.at}`}>
              <StatusBadge status={vote.verdict} /> <strong>{vote.approver}</strong> <Time value={vote.at} />
              {vote.reason ? <q>{vote.reason}</q> : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No one has voted yet.</p>
      )}
    </div>
  );
}

/** Approve or reject with a reason, bound to the request hash the approver is looking at. */
export function VoteForm({
  decision,
  ownerTeam,
  onVoted,
}: {
  decision: Decision;
  ownerTeam: string | undefined;
  onVoted?: (updated: Decision) => void;
}) {
  const { api, me } = useSession();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const id = useId();
  const eligibility = voteEligibility(me, decision, ownerTeam);
  const vote = useMutation({
    // A vote that needs a stronger or fresher sign-in: the error names the sign-in that meets it.
    onError: (error) => {
      const link = stepUpLink(error);
      if (link) window.location.assign(link);
    },
    mutationFn: (verdict: 'approve' | 'reject') =>
      api.post<Decision>(`/v1/decisions/${encodeURIComponent(decision.id)}/approvals`, {
        verdict,
        reason: reason.trim(),
        requestHash: decision.requestHash,
      }),
    onSuccess: (updated) => {
      setReason('');
      onVoted?.(updated);
      queryClient.setQueryData([`/v1/decisions/${updated.id}`, {}], updated);
      void queryClient.invalidateQueries({ queryKey: ['/v1/decisions'] });
    },
  });

  if (decision.status !== 'pending') return null;
  if (!eligibility.canVote)
    return (
      <p className="muted vote-refusal" data-testid="vote-refusal">
        You cannot vote on this: {eligibility.message}.
      </p>
    );
  const submit = (verdict: 'approve' | 'reject') => (event?: FormEvent) => {
    event?.preventDefault();
    if (reason.trim() === '') return;
    vote.mutate(verdict);
  };
  const result = vote.data;
  return (
    <form className="vote-form" onSubmit={submit('approve')} aria-label={`Vote on ${decision.id}`}>
      <label htmlFor={`${id}-reason`}>
        Your reason{' '}
        <span className="muted">
          (recorded with your vote; you count as {eligibility.selectors.join(', ') || 'an approver'})
        </span>
      </label>
      <textarea
        id={`${id}-reason`}
        rows={2}
        required
        maxLength={2000}
        value={reason}
        onChange={(event) => setReason(event.target.value)}
        placeholder="e.g. diff reviewed, canary healthy"
      />
      <div className="actions">
        <button type="submit" className="approve" disabled={vote.isPending || reason.trim() === ''}>
          Approve
        </button>
        <button
          type="button"
          className="reject"
          disabled={vote.isPending || reason.trim() === ''}
          onClick={() => submit('reject')()}
        >
          Reject
        </button>
        <span className="muted small">
          Binds to request <code title={decision.requestHash}>{decision.requestHash.slice(0, 19)}…</code>
        </span>
      </div>
      {vote.error ? (
        <p className="form-error" role="alert">
          {vote.error.message}
          {stepUpLink(vote.error) ? (
            <>
              {' '}
              <a href={stepUpLink(vote.error)} data-testid="step-up">
                Sign in again to vote
              </a>
            </>
          ) : null}
        </p>
      ) : null}
      {result ? (
        <p className="notice" role="status">
          Vote recorded: the decision is {result.status}
          {result.status === 'pending' ? ' (more approvals needed)' : ''}.
        </p>
      ) : null}
    </form>
  );
}

/** The sign-in link of a vote refused for step-up (ARB_ERR_APPROVAL_STEP_UP), when it is one. */
function stepUpLink(error: unknown): string | undefined {
  if (!(error instanceof ApiError) || error.code !== 'ARB_ERR_APPROVAL_STEP_UP') return undefined;
  const link = (error.details as { stepUp?: unknown } | undefined)?.stepUp;
  // Only a sign-in path of this server: never follow a link elsewhere.
  return typeof link === 'string' && link.startsWith('/auth/login?') ? link : undefined;
}
