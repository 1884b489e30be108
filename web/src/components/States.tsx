import type { ReactNode } from 'react';
import { ApiError } from '../api/client.js';

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

/** What went wrong, with the server's error code, and a retry where it helps. */
export function ErrorState({ error, retry, title }: { error: unknown; retry?: () => void; title?: string }) {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className="state error" role="alert">
      <p className="state-title">{title ?? 'Something went wrong'}</p>
      <p>
        {message}
        {code ? <code className="error-code">{code}</code> : null}
      </p>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Renders a query's loading and error states, and its data through `children`. */
export function QueryView<T>({
  query,
  children,
  loading,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  children: (data: T) => ReactNode;
  loading?: string;
}) {
  if (query.isPending) return <Loading {...(loading ? { label: loading } : {})} />;
  if (query.error && query.data === undefined)
    return <ErrorState error={query.error} retry={() => query.refetch()} />;
  return <>{children(query.data as T)}</>;
}
