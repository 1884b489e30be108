import { useApiQuery } from '../api/hooks.js';
import type { AlertState, MonitoredSystem, MonitorWindow } from '../api/types.js';
import { LineChart, type Series, type Threshold } from '../charts/LineChart.js';
import { Badge, StatusBadge } from '../components/Badge.js';
import { Facts } from '../components/Facts.js';
import { Empty, QueryView } from '../components/States.js';
import { Time } from '../components/Time.js';
import { Link, navigate, useQuery, useTitle } from '../router.js';
import { absoluteTime, axisTimeLabel } from '../time.js';

const percent = (value: number) => `${Number((value * 100).toFixed(1))}%`;
const number = (value: number | null | undefined) =>
  typeof value !== 'number' || !Number.isFinite(value)
    ? '—'
    : value !== 0 && Math.abs(value) < 0.001
      ? value.toExponential(1)
      : String(Number(value.toFixed(3)));

/** Reference lines read from alert rules of the form `metrics.PATH < 0.8` (or >, >=, <=). */
function thresholdsFor(system: MonitoredSystem | undefined, path: RegExp): Threshold[] {
  const found: Threshold[] = [];
  for (const rule of system?.alerts ?? []) {
    const match = new RegExp(`${path.source}[^<>=]*?(<=|>=|<|>)\\s*(-?[0-9.]+)`).exec(rule.when);
    if (match) found.push({ value: Number(match[2]), label: `${rule.alert} (${match[1]} ${match[2]})` });
  }
  return found;
}

/** Drift, performance and fairness of monitored models over time, their alerts and why they fired. */
export function MonitoringView({ system }: { system?: string }) {
  useTitle(system ? `Monitoring ${system}` : 'Monitoring');
  const monitored = useApiQuery<{ systems: MonitoredSystem[]; problems: { message?: string }[] }>(
    '/v1/monitor',
  );
  return (
    <section className="page">
      <header className="page-head">
        <h1>Monitoring</h1>
        <p className="muted">
          Production windows of each monitored model, compared with its reference profile.
        </p>
      </header>
      <QueryView query={monitored} loading="Loading monitored Systems…">
        {({ systems, problems }) => (
          <>
            {problems.length > 0 ? (
              <div className="form-error" role="alert">
                Profile problems:{' '}
                {problems.map((problem) => problem.message ?? JSON.stringify(problem)).join('; ')}
              </div>
            ) : null}
            {systems.length === 0 ? (
              <Empty title="No model is monitored">
                A <code>MonitorPolicy</code> with a reference profile turns monitoring on for a System (see
                docs/monitoring.md).
              </Empty>
            ) : (
              <>
                <nav aria-label="Monitored Systems" className="tabs">
                  {systems.map((entry) => (
                    <Link
                      className="tab"
                      key={entry.system}
                      to={`/monitoring/${encodeURIComponent(entry.system)}`}
                      aria-current={entry.system === system ? 'page' : undefined}
                    >
                      {entry.system}
                      {entry.firing ? <span className="nav-count">{entry.firing}</span> : null}
                    </Link>
                  ))}
                </nav>
                {system ? (
                  <SystemMonitoring
                    system={system}
                    monitored={systems.find((entry) => entry.system === system)}
                  />
                ) : (
                  <SystemList systems={systems} />
                )}
              </>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

function SystemList({ systems }: { systems: MonitoredSystem[] }) {
  return (
    <ul className="cards">
      {systems.map((entry) => (
        <li key={entry.system}>
          <article className="card">
            <h2>
              <Link to={`/monitoring/${encodeURIComponent(entry.system)}`}>{entry.system}</Link>
            </h2>
            <p className="muted">
              {entry.profile.task} · windows of {entry.profile.window} ·{' '}
              {Object.keys(entry.profile.features).length} features · {entry.alerts.length} alert rules
            </p>
          </article>
        </li>
      ))}
    </ul>
  );
}

function SystemMonitoring({ system, monitored }: { system: string; monitored: MonitoredSystem | undefined }) {
  const [query, setQuery] = useQuery();
  const merge = query.merge === 'day' ? 'day' : undefined;
  const path = `/v1/monitor/${encodeURIComponent(system)}`;
  const windows = useApiQuery<{ windows: MonitorWindow[] }>(
    `${path}/windows`,
    { merge },
    { refetchInterval: 60_000 },
  );
  const alerts = useApiQuery<{ alerts: AlertState[] }>(`${path}/alerts`, {}, { refetchInterval: 15_000 });
  if (!monitored)
    return (
      <Empty title={`${system} is not monitored`}>
        <button type="button" onClick={() => navigate('/monitoring')}>
          Show monitored Systems
        </button>
      </Empty>
    );
  return (
    <>
      <div className="toolbar">
        <span className="muted">
          Profile <code title={monitored.profile.sha256}>{monitored.profile.sha256.slice(0, 12)}</code> ·
          windows of {monitored.profile.window}
        </span>
        <fieldset className="segmented">
          <legend className="visually-hidden">Resolution</legend>
          <button type="button" aria-pressed={!merge} onClick={() => setQuery({ merge: undefined })}>
            Windows, last 7 days
          </button>
          <button type="button" aria-pressed={merge === 'day'} onClick={() => setQuery({ merge: 'day' })}>
            Days, last 31
          </button>
        </fieldset>
      </div>
      <section className="panel" aria-labelledby="alerts-h">
        <h2 id="alerts-h">Alerts</h2>
        <QueryView query={alerts} loading="Loading alerts…">
          {({ alerts: list }) => <AlertList alerts={list} monitored={monitored} />}
        </QueryView>
      </section>
      <QueryView query={windows} loading="Loading windows…">
        {({ windows: list }) =>
          list.length === 0 ? (
            <Empty title="No production events in this period">
              Send events to <code>POST {path}/events</code>.
            </Empty>
          ) : (
            <WindowCharts windows={list} monitored={monitored} />
          )
        }
      </QueryView>
    </>
  );
}

function AlertList({ alerts, monitored }: { alerts: AlertState[]; monitored: MonitoredSystem }) {
  if (alerts.length === 0) return <p className="muted">No alert has been evaluated yet.</p>;
  const order = { firing: 0, pending: 1, ok: 2 } as const;
  const sorted = [...alerts].sort((a, b) => order[a.status] - order[b.status]);
  return (
    <ul className="alerts">
      {sorted.map((alert) => {
        const rule = monitored.alerts.find(
          (candidate) => candidate.alert === alert.alert && candidate.policy === alert.policy,
        );
        return (
          <li key={`${alert.policy}/${alert.alert}`} className={`alert alert-${alert.status}`}>
            <div className="rule-head">
              <StatusBadge status={alert.status} />
              <Badge
                tone={
                  alert.severity === 'critical' ? 'bad' : alert.severity === 'warning' ? 'warn' : 'neutral'
                }
              >
                {alert.severity}
              </Badge>
              <code>
                {alert.policy}/{alert.alert}
              </code>
              {alert.status === 'firing' && alert.firingSince ? (
                <span className="muted">
                  firing since <Time value={alert.firingSince} />
                </span>
              ) : null}
            </div>
            <p>{alert.message}</p>
            {rule ? (
              <p className="muted small">
                Fires when <code>{rule.when}</code>
                {rule.for > 1 ? ` for ${rule.for} windows running` : ''}; held for {alert.consecutive} window
                {alert.consecutive === 1 ? '' : 's'}.
              </p>
            ) : null}
            <Facts facts={alert.facts} />
            {alert.lastError ? <p className="form-error">Could not evaluate: {alert.lastError}</p> : null}
          </li>
        );
      })}
    </ul>
  );
}

function WindowCharts({ windows, monitored }: { windows: MonitorWindow[]; monitored: MonitoredSystem }) {
  const x = (window: MonitorWindow) => Date.parse(window.start);
  const point = (window: MonitorWindow, y: number | null | undefined) => ({
    x: x(window),
    y: typeof y === 'number' ? y : null,
    open: window.open,
  });
  const datasetDrift: Series[] = [
    { name: 'share of features drifted', points: windows.map((w) => point(w, w.metrics.datasetDrift.share)) },
  ];
  const performanceMetrics = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'mae', 'rmse'].filter(
    (metric) => windows.some((w) => typeof w.metrics.performance?.[metric] === 'number'),
  );
  const performance: Series[] = performanceMetrics.map((metric) => ({
    name: metric,
    points: windows.map((w) => point(w, w.metrics.performance?.[metric])),
  }));
  const attributes = [...new Set(windows.flatMap((w) => Object.keys(w.metrics.fairness ?? {})))];
  const fairness: Series[] = attributes.map((attribute) => ({
    name: `${attribute}: demographic parity ratio`,
    points: windows.map((w) => point(w, w.metrics.fairness?.[attribute]?.demographicParityRatio)),
  }));
  const latest = windows.filter((w) => !w.open).at(-1) ?? windows.at(-1)!;
  const fairnessThresholds = thresholdsFor(monitored, /demographicParityRatio/);
  return (
    <>
      <section className="panel" aria-labelledby="drift-h">
        <h2 id="drift-h">Drift</h2>
        <LineChart
          title="Dataset drift: share of features that drifted"
          series={datasetDrift}
          thresholds={thresholdsFor(monitored, /datasetDrift\.share/)}
          yDomain={[0, 1]}
          formatY={percent}
        />
        <DriftHeatmap windows={windows} />
        <WhyItDrifted window={latest} />
      </section>
      <section className="panel" aria-labelledby="perf-h">
        <h2 id="perf-h">Performance</h2>
        {performance.length === 0 ? (
          <p className="muted">No labels yet: performance appears once late labels arrive.</p>
        ) : (
          <LineChart
            title="Performance on labelled events"
            series={performance}
            thresholds={thresholdsFor(monitored, /performance\.\??accuracy/)}
            yDomain={[0, 1]}
          />
        )}
      </section>
      <section className="panel" aria-labelledby="fair-h">
        <h2 id="fair-h">Fairness</h2>
        {fairness.length === 0 ? (
          <p className="muted">No sensitive attribute has groups large enough to compare.</p>
        ) : (
          <LineChart
            title="Demographic parity ratio per sensitive attribute (1 = equal selection rates)"
            series={fairness}
            thresholds={
              fairnessThresholds.length > 0 ? fairnessThresholds : [{ value: 0.8, label: 'four-fifths rule' }]
            }
            yDomain={[0, 1]}
          />
        )}
      </section>
    </>
  );
}

/** Feature × window table of drift scores, drifted cells marked with a word and a symbol, not colour alone. */
function DriftHeatmap({ windows }: { windows: MonitorWindow[] }) {
  const features = Object.keys(windows[0]?.metrics.drift.features ?? {});
  const span = Date.parse(windows.at(-1)!.start) - Date.parse(windows[0]!.start);
  return (
    <div className="table-wrap">
      <table className="data-table heatmap compact">
        <caption>Drift per feature and window (score: p-value or distance; ▲ = drifted)</caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            {windows.map((w) => (
              <th scope="col" key={w.start} title={absoluteTime(new Date(w.start))}>
                {axisTimeLabel(Date.parse(w.start), span)}
                {w.open ? ' (open)' : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {features.map((feature) => (
            <tr key={feature}>
              <th scope="row">{feature}</th>
              {windows.map((w) => {
                const drift = w.metrics.drift.features[feature];
                return (
                  <td
                    key={w.start}
                    className={drift?.drifted ? 'drifted' : undefined}
                    title={drift ? `${drift.method}, threshold ${drift.threshold}` : undefined}
                  >
                    {drift ? `${drift.drifted ? '▲ ' : ''}${number(drift.score)}` : '—'}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WhyItDrifted({ window }: { window: MonitorWindow }) {
  const drifted = Object.entries(window.metrics.drift.features).filter(([, drift]) => drift.drifted);
  return (
    <div>
      <h3>
        Why it drifted — window of <Time value={window.start} />
      </h3>
      {drifted.length === 0 ? (
        <p className="muted">No feature drifted in this window.</p>
      ) : (
        <ul className="why">
          {drifted.map(([feature, drift]) => (
            <li key={feature}>
              <strong>{feature}</strong>{' '}
              <span className="muted">
                ({drift.method} {number(drift.score)}, threshold {drift.threshold}; PSI {number(drift.psi)})
              </span>
              {drift.topBins && drift.topBins.length > 0 ? (
                <ul className="why-bins">
                  {drift.topBins.map((bin) => (
                    <li key={bin.bin}>
                      <code>{bin.bin}</code>: {percent(bin.reference)} of the reference →{' '}
                      {percent(bin.current)} now
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
