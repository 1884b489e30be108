import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import type { Decision } from '../api/types.js';
import { StatusBadge } from '../components/Badge.js';
import { resourceLabel } from '../components/DecisionParts.js';
import { Empty, ErrorState, Loading, StaleQueryNotice } from '../components/States.js';
import { Time } from '../components/Time.js';
import { Link, useQuery, useTitle } from '../router.js';
import { useSession } from '../session.js';
import { useSystems } from '../systems.js';

const filterNames = ['status', 'system', 'action', 'environment', 'since', 'until', 'q'] as const;
type Filters = Partial<Record<(typeof filterNames)[number], string>>;

/** `datetime-local` values are the viewer's local time; the API wants ISO 8601. */
function toIso(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

function matchesSearch(decision: Decision, text: string): boolean {
  const needle = text.toLowerCase();
  return [
    decision.id,
    decision.actor.id,
    decision.action,
    decision.resource.id,
    decision.resource.type,
    decision.request.rationale ?? '',
    decision.statusReason ?? '',
    ...decision.reasons.map((reason) => `${reason.policy}/${reason.rule} ${reason.message ?? ''}`),
  ].some((field) => field.toLowerCase().includes(needle));
}

/**
 * The decision log: filters the server applies (status, System, action, environment, time range)
 * live in the URL; the search box narrows the pages already loaded. Pages follow the API's cursor.
 */
export function DecisionsView() {
  useTitle('Decisions');
  const { api } = useSession();
  const [query, setQuery] = useQuery();
  const filters: Filters = Object.fromEntries(
    filterNames.map((name) => [name, query[name]]).filter(([, v]) => v),
  );
  const serverFilters = {
    status: filters.status,
    system: filters.system,
    action: filters.action,
    environment: filters.environment,
    since: toIso(filters.since),
    until: toIso(filters.until),
  };
  const pages = useInfiniteQuery({
    queryKey: ['/v1/decisions', 'log', serverFilters],
    queryFn: ({ pageParam }) =>
      api.get<{ decisions: Decision[]; nextCursor: string | null }>('/v1/decisions', {
        ...serverFilters,
        limit: 50,
        cursor: pageParam,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 10_000,
  });
  const all = pages.data?.pages.flatMap((page) => page.decisions) ?? [];
  const shown = filters.q ? all.filter((decision) => matchesSearch(decision, filters.q!)) : all;

  return (
    <section className="page">
      <header className="page-head">
        <h1>Decisions</h1>
        <p className="muted">Every request an agent or person made, with its verdict. Newest first.</p>
      </header>
      <FilterForm key={JSON.stringify(filters)} filters={filters} onChange={setQuery} />
      <StaleQueryNotice query={pages} />
      {pages.isPending ? (
        <Loading label="Loading decisions…" />
      ) : pages.error && !pages.data ? (
        <ErrorState error={pages.error} retry={() => pages.refetch()} />
      ) : shown.length === 0 ? (
        <Empty title="No decisions match">
          {Object.keys(filters).length > 0 ? 'Change or clear the filters.' : 'Nothing has been asked yet.'}
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Decisions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Status</th>
                  <th scope="col">Requested by</th>
                  <th scope="col">Action</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Because</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((decision) => (
                  <tr key={decision.id}>
                    <td>
                      <Time value={decision.createdAt} />
                    </td>
                    <td>
                      <StatusBadge status={decision.status} />
                      {decision.statusReason ? (
                        <div className="muted small">{decision.statusReason}</div>
                      ) : null}
                    </td>
                    <td>{decision.actor.id}</td>
                    <td>
                      <Link to={`/decisions/${encodeURIComponent(decision.id)}`}>{decision.action}</Link>
                    </td>
                    <td>{resourceLabel(decision)}</td>
                    <td className="because">
                      {decision.reasons[0] ? (
                        <>
                          <code>
                            {decision.reasons[0].policy}/{decision.reasons[0].rule}
                          </code>
                          {decision.reasons.length > 1 ? (
                            <span className="muted"> +{decision.reasons.length - 1}</span>
                          ) : null}
                        </>
                      ) : (
                        <span className="muted">{decision.statusReason ?? 'no rule'}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            <span className="muted">
              {shown.length} shown{filters.q ? ` of ${all.length} loaded` : ''}
            </span>
            {pages.hasNextPage ? (
              <button type="button" onClick={() => pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
                {pages.isFetchingNextPage ? 'Loading…' : 'Load older decisions'}
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

function FilterForm({
  filters,
  onChange,
}: {
  filters: Filters;
  onChange: (changes: Record<string, string | undefined>) => void;
}) {
  const id = useId();
  const systems = useSystems();
  const [draft, setDraft] = useState<Filters>(filters);
  const set = (name: keyof Filters) => (event: { target: { value: string } }) =>
    setDraft((current) => ({ ...current, [name]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange(Object.fromEntries(filterNames.map((name) => [name, draft[name] || undefined])));
  };
  const clear = () => {
    setDraft({});
    onChange(Object.fromEntries(filterNames.map((name) => [name, undefined])));
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter decisions">
      <div className="field grow">
        <label htmlFor={`${id}-q`}>Search</label>
        <input
          id={`${id}-q`}
          type="search"
          value={draft.q ?? ''}
          onChange={set('q')}
          placeholder="id, agent, resource, rationale, rule"
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={draft.status ?? ''} onChange={set('status')}>
          <option value="">any</option>
          <option value="pending">pending</option>
          <option value="allowed">allowed</option>
          <option value="started">started</option>
          <option value="denied">denied</option>
          <option value="revoked">revoked</option>
          <option value="withdrawn">withdrawn</option>
          <option value="expired">expired</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-system`}>System</label>
        <select id={`${id}-system`} value={draft.system ?? ''} onChange={set('system')}>
          <option value="">any</option>
          {(systems.data?.systems ?? []).map((system) => (
            <option key={system.id} value={system.id}>
              {system.id}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-action`}>Action</label>
        <input id={`${id}-action`} value={draft.action ?? ''} onChange={set('action')} placeholder="deploy" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-env`}>Environment</label>
        <input
          id={`${id}-env`}
          value={draft.environment ?? ''}
          onChange={set('environment')}
          placeholder="prod"
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-since`}>From</label>
        <input id={`${id}-since`} type="datetime-local" value={draft.since ?? ''} onChange={set('since')} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-until`}>Until</label>
        <input id={`${id}-until`} type="datetime-local" value={draft.until ?? ''} onChange={set('until')} />
      </div>
      <div className="field buttons">
        <button type="submit" className="primary">
          Apply
        </button>
        <button type="button" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
