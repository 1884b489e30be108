import type { ReactNode } from 'react';
import { ApiError } from '../api/client.js';
import { errorMessage, staleDataNotice } from '../stale.js';
import { useNow } from './Time.js';

/** Loading, empty and error states, the same in every view. */

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <p className="state-title">{title}</p>
      {children ? <div className="muted">{children}</div> : null}
    </div>
  );
}

/**
 * What went wrong, with the server's error code, and a retry where it helps: not for a 404 (a link to
 * an incident, gate run or decision that does not exist), which asking again cannot change.
 */
export function ErrorState({ error, retry, title }: { error: unknown; retry?: () => void; title?: string }) {
  const message = errorMessage(error);
  const code = error instanceof ApiError ? error.code : undefined;
  const missing = error instanceof ApiError && error.status === 404;
  return (
    <div className="state error" role="alert">
      <p className="state-title">{title ?? (missing ? 'Not found' : 'Something went wrong')}</p>
      <p>
        {message}
        {code ? <code className="error-code">{code}</code> : null}
      </p>
      {retry && !missing ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/**
 * A refresh failed but the view still shows what it loaded before: says so, without hiding the
 * data or taking focus, and offers to try again now (queries that poll also retry by themselves).
 */
export function StaleNotice({
  error,
  loadedAt,
  retry,
  retrying = false,
}: {
  error: unknown;
  /** When the shown data arrived, epoch ms (TanStack's `dataUpdatedAt`). */
  loadedAt: number;
  retry: () => void;
  retrying?: boolean;
}) {
  const now = useNow();
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className="stale-notice" role="status" data-testid="stale-notice">
      <p>
        {staleDataNotice(error, loadedAt, now)}
        {code ? <code className="error-code">{code}</code> : null}
      </p>
      <button type="button" onClick={retry} disabled={retrying}>
        {retrying ? 'Trying again…' : 'Try again'}
      </button>
    </div>
  );
}

/**
 * Renders a query's loading and error states, and its data through `children`. When a refresh
 * fails after data was shown, the data stays, under a `StaleNotice`.
 */
/** What a view needs of a query to say that its data could not be refreshed. */
interface RefreshableQuery {
  error: unknown;
  data: unknown;
  dataUpdatedAt: number;
  isFetching: boolean;
  refetch(): unknown;
}

/** The stale-data notice for a query that failed to refresh after it had loaded once; nothing otherwise. */
export function StaleQueryNotice({ query }: { query: RefreshableQuery }) {
  if (!query.error || query.data === undefined) return null;
  return (
    <StaleNotice
      error={query.error}
      loadedAt={query.dataUpdatedAt}
      retry={() => query.refetch()}
      retrying={query.isFetching}
    />
  );
}

export function QueryView<T>({
  query,
  children,
  loading,
}: {
  query: {
    data: T | undefined;
    error: unknown;
    isPending: boolean;
    isFetching: boolean;
    dataUpdatedAt: number;
    refetch: () => unknown;
  };
  children: (data: T) => ReactNode;
  loading?: string;
}) {
  if (query.isPending) return <Loading {...(loading ? { label: loading } : {})} />;
  if (query.error && query.data === undefined)
    return <ErrorState error={query.error} retry={() => query.refetch()} />;
  return (
    <>
      <StaleQueryNotice query={query} />
      {children(query.data as T)}
    </>
  );
}
