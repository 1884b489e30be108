import type { IncidentView as Incident } from '../../../src/incidents/incident.js';
import type { Trace } from '../../../src/incidents/trace.js';
import { ApiError } from '../api/client.js';
import { useApiQuery } from '../api/hooks.js';
import { Badge, StatusBadge } from '../components/Badge.js';
import { Facts } from '../components/Facts.js';
import { Empty, ErrorState, Loading, StaleQueryNotice } from '../components/States.js';
import { Time } from '../components/Time.js';
import { Link, useQuery, useTitle } from '../router.js';

/** True when the server has no incidents API (it predates it): a 404 for the route itself. */
function notAvailable(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && /no route/i.test(error.message);
}

function Unavailable() {
  return (
    <Empty title="Incidents are not available on this server">
      This Arbiter server has no incidents API (<code>GET /v1/incidents</code>). Upgrade the server to link
      incidents to the decisions, releases and alerts behind them.
    </Empty>
  );
}

/** Incidents, newest first: what broke, how bad, and which System. */
export function IncidentsView() {
  useTitle('Incidents');
  const [query, setQuery] = useQuery();
  const status = query.status === 'resolved' || query.status === 'all' ? query.status : 'open';
  const incidents = useApiQuery<{ incidents: Incident[] }>(
    '/v1/incidents',
    { status: status === 'all' ? undefined : status, limit: 100 },
    { refetchInterval: 15_000 },
  );
  return (
    <section className="page">
      <header className="page-head">
        <h1>Incidents</h1>
        <p className="muted">
          Failures traced to the AI decisions, releases and alerts behind them, and to their owners.
        </p>
      </header>
      <fieldset className="segmented">
        <legend className="visually-hidden">Show</legend>
        {(['open', 'resolved', 'all'] as const).map((value) => (
          <button
            key={value}
            type="button"
            aria-pressed={status === value}
            onClick={() => setQuery({ status: value === 'open' ? undefined : value })}
          >
            {value}
          </button>
        ))}
      </fieldset>
      {notAvailable(incidents.error) ? null : <StaleQueryNotice query={incidents} />}
      {incidents.isPending ? (
        <Loading label="Loading incidents…" />
      ) : incidents.data === undefined || notAvailable(incidents.error) ? (
        notAvailable(incidents.error) ? (
          <Unavailable />
        ) : (
          <ErrorState error={incidents.error} retry={() => incidents.refetch()} />
        )
      ) : incidents.data.incidents.length === 0 ? (
        <Empty title={status === 'open' ? 'No open incidents' : 'No incidents'} />
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Opened</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Title</th>
                <th scope="col">System</th>
                <th scope="col">Opened by</th>
              </tr>
            </thead>
            <tbody>
              {incidents.data.incidents.map((incident) => (
                <tr key={incident.id}>
                  <td>
                    <Time value={incident.openedAt} />
                  </td>
                  <td>
                    <Badge
                      tone={incident.severity === 'sev1' || incident.severity === 'sev2' ? 'bad' : 'warn'}
                    >
                      {incident.severity}
                    </Badge>
                  </td>
                  <td>
                    <StatusBadge status={incident.status} />
                  </td>
                  <td>
                    <Link to={`/incidents/${encodeURIComponent(incident.id)}`}>{incident.title}</Link>
                  </td>
                  <td>{incident.system ?? '—'}</td>
                  <td>
                    {incident.openedBy} <span className="muted small">({incident.trigger})</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The accountability trace of one incident: a timeline from decision to owner, every step proven. */
export function IncidentPage({ id }: { id: string }) {
  useTitle(`Incident ${id}`);
  const trace = useApiQuery<Trace>(`/v1/incidents/${encodeURIComponent(id)}/trace`);
  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/incidents">Incidents</Link> / <code>{id}</code>
      </p>
      {notAvailable(trace.error) ? null : <StaleQueryNotice query={trace} />}
      {trace.isPending ? (
        <Loading label="Building the trace…" />
      ) : trace.data === undefined || notAvailable(trace.error) ? (
        notAvailable(trace.error) ? (
          <Unavailable />
        ) : (
          <ErrorState error={trace.error} retry={() => trace.refetch()} />
        )
      ) : (
        <TraceBody trace={trace.data} />
      )}
    </section>
  );
}

function TraceBody({ trace }: { trace: Trace }) {
  const incident = trace.incident;
  return (
    <>
      <header className="page-head">
        <h1>{incident?.title ?? trace.subject.id}</h1>
        <p className="head-badges">
          {incident ? <Badge tone="bad">{incident.severity}</Badge> : null}
          {incident ? <StatusBadge status={incident.status} /> : null}
          {trace.verified ? (
            <Badge tone="good">
              {trace.proofs.verified}/{trace.proofs.total} ledger proofs verified
            </Badge>
          ) : (
            <Badge tone="warn">
              {trace.proofs.verified}/{trace.proofs.total} ledger proofs verified
            </Badge>
          )}
          {trace.decisions
            .filter((decision) => !decision.state.supported)
            .map((decision) => (
              <Badge key={decision.id} tone="bad">
                {decision.id}: stored state not supported by the ledger ({decision.state.problems.join('; ')})
              </Badge>
            ))}
        </p>
        {incident?.description ? <p>{incident.description}</p> : null}
      </header>
      {trace.accountability.length > 0 ? (
        <section className="panel" aria-labelledby="who-h">
          <h2 id="who-h">Who answers for it</h2>
          <ul className="cards">
            {trace.accountability.map((entry) => (
              <li key={entry.system} className="card">
                <h3>{entry.system}</h3>
                <p>
                  Owner <strong>{entry.owner.team ?? '—'}</strong>
                  {entry.owner.person ? ` (${entry.owner.person})` : ''} · paged{' '}
                  <strong>{entry.paged.person ?? entry.paged.team ?? 'nobody'}</strong>
                  <span className="muted"> via {entry.paged.source}</span>
                </p>
                <p className="muted small">
                  {entry.kind}, {entry.status}, autonomy {entry.autonomy ?? '—'}
                </p>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section className="panel" aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        {trace.timeline.length === 0 ? (
          <p className="muted">Nothing is linked yet.</p>
        ) : (
          <ol className="timeline">
            {trace.timeline.map((event) => (
              <li key={`${event.ledgerIndex}-${event.type}`} className={`tl-${event.type.split('.')[0]}`}>
                <div className="tl-time">
                  <Time value={event.time} />
                </div>
                <div className="tl-body">
                  <code>{event.type}</code> <span className="muted">by {event.actor}</span>
                  <p>{event.summary}</p>
                  <span className="muted small">
                    ledger #{event.ledgerIndex} {event.verified ? '✓ proven' : '— not proven yet'}
                  </span>
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>
      {trace.gateRuns.length > 0 || trace.alerts.length > 0 ? (
        <section className="panel" aria-labelledby="around-h">
          <h2 id="around-h">Releases and alerts</h2>
          <ul className="rules">
            {trace.gateRuns.map((run) => (
              <li key={run.id}>
                <div className="rule-head">
                  <StatusBadge status={run.passed ? 'passed' : 'failed'} />
                  <Link to={`/gates/${encodeURIComponent(run.id)}`}>
                    gate run {run.system} {run.version}
                  </Link>
                  <span className="muted small">({run.selectedBy})</span>
                </div>
              </li>
            ))}
            {trace.alerts.map((alert) => (
              <li key={`${alert.policy}/${alert.alert}/${alert.time}/${alert.transition}`}>
                <div className="rule-head">
                  <StatusBadge status={alert.transition} />
                  <Badge tone={alert.severity === 'critical' ? 'bad' : 'warn'}>{alert.severity}</Badge>
                  <code>
                    {alert.system}/{alert.policy}/{alert.alert}
                  </code>
                  <Time value={alert.time} />
                </div>
                <p>{alert.message}</p>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {trace.decisions.map((decision) => (
        <section key={decision.id} className="panel" aria-label={`Decision ${decision.id}`}>
          <h2>
            Decision <Link to={`/decisions/${encodeURIComponent(decision.id)}`}>{decision.action}</Link>{' '}
            {decision.resource.type}:{decision.resource.id} <StatusBadge status={decision.status} />
          </h2>
          <ul className="rules">
            {decision.rules.map((rule) => (
              <li key={`${rule.policy}/${rule.rule}`}>
                <div className="rule-head">
                  <StatusBadge status={rule.effect} />
                  <code>
                    {rule.policy}/{rule.rule}
                  </code>
                </div>
                <p>{rule.message}</p>
                <Facts facts={rule.facts} />
              </li>
            ))}
          </ul>
          {decision.approvals.length > 0 ? (
            <p>
              Approved by{' '}
              {decision.approvals.map((approval) => `${approval.approver} (${approval.verdict})`).join(', ')}
            </p>
          ) : null}
          {decision.outcome ? (
            <p>
              Outcome <StatusBadge status={decision.outcome.status} /> {decision.outcome.detail}
            </p>
          ) : null}
        </section>
      ))}
    </>
  );
}
