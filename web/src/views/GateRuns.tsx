import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useApiQuery } from '../api/hooks.js';
import type { GateCheck, GateRun, LedgerEntryView } from '../api/types.js';
import { Badge, StatusBadge } from '../components/Badge.js';
import { Facts } from '../components/Facts.js';
import { InclusionCheck } from '../components/InclusionCheck.js';
import { Empty, ErrorState, Loading, QueryView, StaleQueryNotice } from '../components/States.js';
import { Time } from '../components/Time.js';
import { toHex } from '../ledger/bytes.js';
import { canonicalJsonBytes, type Json } from '../ledger/canonical-json.js';
import { digest } from '../ledger/merkle.js';
import { Link, useTitle, useQuery as useUrlQuery } from '../router.js';
import { useSession } from '../session.js';
import { formatDuration } from '../time.js';

/** Release gate runs recorded from CI (`arbiter gate --record`), per System and version. */
export function GateRunsView() {
  useTitle('Release gates');
  const { api } = useSession();
  const [query, setQuery] = useUrlQuery();
  const filters = { system: query.system, version: query.version };
  const pages = useInfiniteQuery({
    queryKey: ['/v1/gate-runs', filters],
    queryFn: ({ pageParam }) =>
      api.get<{ gateRuns: GateRun[]; nextCursor: string | null }>('/v1/gate-runs', {
        ...filters,
        limit: 50,
        cursor: pageParam,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const runs = pages.data?.pages.flatMap((page) => page.gateRuns) ?? [];
  return (
    <section className="page">
      <header className="page-head">
        <h1>Release gates</h1>
        <p className="muted">
          Each CI evaluation of a model release against the gate policies, pinned in the ledger.
        </p>
      </header>
      <GateFilters
        key={`${filters.system}/${filters.version}`}
        system={filters.system}
        version={filters.version}
        onChange={setQuery}
      />
      <StaleQueryNotice query={pages} />
      {pages.isPending ? (
        <Loading label="Loading gate runs…" />
      ) : pages.error && !pages.data ? (
        <ErrorState error={pages.error} retry={() => pages.refetch()} />
      ) : runs.length === 0 ? (
        <Empty title="No gate runs recorded">
          CI records them with <code>arbiter gate … --record $ARBITER_URL</code>.
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Recorded</th>
                  <th scope="col">Result</th>
                  <th scope="col">System</th>
                  <th scope="col">Version</th>
                  <th scope="col">Release</th>
                  <th scope="col">By</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <tr key={run.id}>
                    <td>
                      <Time value={run.recordedAt} />
                    </td>
                    <td>
                      <StatusBadge status={run.passed ? 'passed' : 'failed'} />
                    </td>
                    <td>{run.system}</td>
                    <td>
                      <Link to={`/gates/${encodeURIComponent(run.id)}`}>{run.version}</Link>
                    </td>
                    <td>{run.release}</td>
                    <td>{run.recordedBy}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            {pages.hasNextPage ? (
              <button type="button" onClick={() => pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
                Load older runs
              </button>
            ) : (
              <span className="muted">That is all.</span>
            )}
          </div>
        </>
      )}
    </section>
  );
}

function GateFilters({
  system,
  version,
  onChange,
}: {
  system: string | undefined;
  version: string | undefined;
  onChange: (changes: Record<string, string | undefined>) => void;
}) {
  const id = useId();
  const [draft, setDraft] = useState({ system: system ?? '', version: version ?? '' });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange({ system: draft.system || undefined, version: draft.version || undefined });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter gate runs">
      <div className="field">
        <label htmlFor={`${id}-system`}>System</label>
        <input
          id={`${id}-system`}
          value={draft.system}
          onChange={(e) => setDraft({ ...draft, system: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-version`}>Version</label>
        <input
          id={`${id}-version`}
          value={draft.version}
          onChange={(e) => setDraft({ ...draft, version: e.target.value })}
        />
      </div>
      <div className="field buttons">
        <button type="submit" className="primary">
          Apply
        </button>
      </div>
    </form>
  );
}

/** One gate run: every check with what it expected and saw, and the report checked against the ledger. */
export function GateRunPage({ id }: { id: string }) {
  useTitle(`Gate run ${id}`);
  const run = useApiQuery<GateRun>(`/v1/gate-runs/${encodeURIComponent(id)}`);
  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/gates">Release gates</Link> / <code>{id}</code>
      </p>
      <QueryView query={run} loading="Loading the gate run…">
        {(data) => <GateRunBody run={data} />}
      </QueryView>
    </section>
  );
}

const checkOrder: Record<string, number> = { failed: 0, error: 1, waived: 2, passed: 3 };

function GateRunBody({ run }: { run: GateRun }) {
  const checks = [...(run.report?.checks ?? [])].sort(
    (a, b) => (checkOrder[a.status] ?? 9) - (checkOrder[b.status] ?? 9),
  );
  const failed = checks.filter((check) => check.status === 'failed').length;
  return (
    <>
      <header className="page-head">
        <h1>
          {run.system} {run.version}
        </h1>
        <p className="head-badges">
          <StatusBadge status={run.passed ? 'passed' : 'failed'} />
          <span className="muted">
            {checks.length} checks, {failed} failed
          </span>
        </p>
      </header>
      <dl className="summary-grid">
        <div>
          <dt>Release</dt>
          <dd>{run.release}</dd>
        </div>
        {run.report?.baseline?.version ? (
          <div>
            <dt>Compared with</dt>
            <dd>{run.report.baseline.version}</dd>
          </div>
        ) : null}
        <div>
          <dt>Recorded</dt>
          <dd>
            <Time value={run.recordedAt} /> by {run.recordedBy}
          </dd>
        </div>
        {typeof run.report?.durationMs === 'number' ? (
          <div>
            <dt>Took</dt>
            <dd>{formatDuration(run.report.durationMs)}</dd>
          </div>
        ) : null}
        <div>
          <dt>Policy bundle</dt>
          <dd>
            <code className="digest">{run.bundle}</code>
          </dd>
        </div>
      </dl>
      <section className="panel" aria-labelledby="checks-h">
        <h2 id="checks-h">Checks</h2>
        {checks.length === 0 ? (
          <p className="muted">The report lists no checks.</p>
        ) : (
          <CheckTable checks={checks} />
        )}
      </section>
      {run.report?.summary ? (
        <section className="panel" aria-labelledby="summary-h">
          <h2 id="summary-h">Supply chain summary</h2>
          <SupplyChain summary={run.report.summary as SupplySummary} />
        </section>
      ) : null}
      <section className="panel" aria-labelledby="pin-h">
        <h2 id="pin-h">Ledger</h2>
        <ReportPin run={run} />
        <InclusionCheck seq={run.ledgerIndex} label="this gate run" />
      </section>
    </>
  );
}

function CheckTable({ checks }: { checks: GateCheck[] }) {
  return (
    <ul className="rules checks">
      {checks.map((check) => (
        <li key={`${check.policy}/${check.check}`} className={`check-${check.status}`}>
          <div className="rule-head">
            <StatusBadge status={check.status} />
            <Badge tone={check.severity === 'error' ? 'neutral' : 'info'}>{check.severity}</Badge>
            <code>
              {check.policy}/{check.check}
            </code>
          </div>
          {check.message ? <p>{check.message}</p> : null}
          {check.expected && check.status !== 'passed' ? (
            <p className="muted small">
              expected <code>{check.expected}</code>
            </p>
          ) : null}
          <Facts facts={check.facts} />
          {check.findings && check.findings.length > 0 ? (
            <ul className="findings">
              {check.findings.slice(0, 20).map((finding, index) => (
                <li key={`${check.check}-${index}`}>{findingText(finding)}</li>
              ))}
              {check.findings.length > 20 ? (
                <li className="muted">and {check.findings.length - 20} more</li>
              ) : null}
            </ul>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** A finding as one line, naming the waiver that covers it, as `arbiter gate` prints it. */
function findingText(finding: unknown): string {
  if (
    !finding ||
    typeof finding !== 'object' ||
    !('message' in finding) ||
    typeof finding.message !== 'string'
  )
    return JSON.stringify(finding);
  const waivedBy =
    'waivedBy' in finding && typeof finding.waivedBy === 'string' ? finding.waivedBy : undefined;
  return waivedBy ? `${finding.message} [waived by ${waivedBy}]` : finding.message;
}

interface SupplySummary {
  models?: { path: string; sha256?: string; format?: string }[];
  packages?: number;
  vulnerabilities?: number;
  scanFindings?: number;
  bom?: { source?: string; components?: number };
}

function SupplyChain({ summary }: { summary: SupplySummary }) {
  return (
    <>
      <p>
        {summary.packages ?? 0} packages, {summary.vulnerabilities ?? 0} known vulnerabilities,{' '}
        {summary.scanFindings ?? 0} model-file findings
        {summary.bom ? (
          <span className="muted">
            {' '}
            · AI-BOM {summary.bom.source ?? ''} with {summary.bom.components ?? 0} components
          </span>
        ) : null}
      </p>
      {summary.models && summary.models.length > 0 ? (
        <div className="table-wrap">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Model file</th>
                <th scope="col">Format</th>
                <th scope="col">SHA-256</th>
              </tr>
            </thead>
            <tbody>
              {summary.models.map((model) => (
                <tr key={model.path}>
                  <td>
                    <code>{model.path}</code>
                  </td>
                  <td>{model.format ?? '—'}</td>
                  <td>
                    <code className="digest">{model.sha256 ?? 'not hashed'}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

/** SHA-256 of the report's canonical JSON, computed here, against the run and its gate.run entry. */
function ReportPin({ run }: { run: GateRun }) {
  const { api } = useSession();
  const pin = useQuery({
    queryKey: ['gate-pin', run.id],
    enabled: run.report !== undefined,
    queryFn: async () => {
      const computed = toHex(await digest(canonicalJsonBytes(run.report as unknown as Json)));
      const page = await api.get<{ entries: LedgerEntryView[] }>('/v1/ledger/entries', {
        start: run.ledgerIndex,
        end: run.ledgerIndex + 1,
      });
      const pinned = page.entries[0]?.entry.data.reportSha256;
      return { computed, pinned: typeof pinned === 'string' ? pinned : undefined };
    },
  });
  if (!run.report) return null;
  if (pin.isPending) return <Loading label="Hashing the report…" />;
  if (pin.error) return <ErrorState error={pin.error} />;
  const ok = pin.data.computed === run.reportSha256 && pin.data.pinned === pin.data.computed;
  return (
    <p role="status">
      {ok ? (
        <Badge tone="good">report matches the ledger</Badge>
      ) : (
        <Badge tone="bad">report does not match</Badge>
      )}{' '}
      <span className="muted small">
        SHA-256 of the canonical report, computed here: <code>{pin.data.computed.slice(0, 16)}…</code>; the{' '}
        <code>gate.run</code> entry #{run.ledgerIndex} pins{' '}
        <code>{(pin.data.pinned ?? 'nothing').slice(0, 16)}…</code>
      </span>
    </p>
  );
}
