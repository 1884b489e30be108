import { useQueryClient } from '@tanstack/react-query';
import { type ReactElement, useEffect } from 'react';
import { useApiQuery } from './api/hooks.js';
import type { Decision } from './api/types.js';
import { Loading } from './components/States.js';
import { Link, matchPath, navigate, usePath } from './router.js';
import { SessionProvider, useSession, useSessionState } from './session.js';
import { ApprovalsView } from './views/Approvals.js';
import { DecisionPage } from './views/DecisionPage.js';
import { DecisionsView } from './views/Decisions.js';
import { GateRunPage, GateRunsView } from './views/GateRuns.js';
import { IncidentPage, IncidentsView } from './views/Incidents.js';
import { LedgerView } from './views/Ledger.js';
import { MonitoringView } from './views/Monitoring.js';
import { NotFound } from './views/NotFound.js';
import { SignIn } from './views/SignIn.js';
import { SystemsView } from './views/Systems.js';

/** The dashboard: sign-in, then the navigation and the page the URL names. */
export function App() {
  const { state, session, signIn } = useSessionState();
  const queryClient = useQueryClient();
  useEffect(() => {
    if (state.status === 'signed-out') queryClient.clear();
  }, [state.status, queryClient]);

  if (state.status === 'checking') return <Loading label="Checking your session…" />;
  if (!session)
    return (
      <SignIn
        onSignIn={signIn}
        message={state.status === 'signed-out' ? state.message : undefined}
        provider={state.status === 'signed-out' ? state.provider : undefined}
      />
    );
  return (
    <SessionProvider session={session}>
      <Shell />
    </SessionProvider>
  );
}

const routes: { pattern: string; render: (params: Record<string, string>) => ReactElement }[] = [
  { pattern: '/approvals', render: () => <ApprovalsView /> },
  { pattern: '/decisions', render: () => <DecisionsView /> },
  { pattern: '/decisions/:id', render: ({ id }) => <DecisionPage id={id!} /> },
  { pattern: '/systems', render: () => <SystemsView /> },
  { pattern: '/systems/:id', render: ({ id }) => <SystemsView focus={id!} /> },
  { pattern: '/ledger', render: () => <LedgerView /> },
  { pattern: '/monitoring', render: () => <MonitoringView /> },
  { pattern: '/monitoring/:system', render: ({ system }) => <MonitoringView system={system!} /> },
  { pattern: '/incidents', render: () => <IncidentsView /> },
  { pattern: '/incidents/:id', render: ({ id }) => <IncidentPage id={id!} /> },
  { pattern: '/gates', render: () => <GateRunsView /> },
  { pattern: '/gates/:id', render: ({ id }) => <GateRunPage id={id!} /> },
];

function Page({ path }: { path: string }) {
  const { me } = useSession();
  useEffect(() => {
    if (path === '/' || path === '')
      navigate(me.role === 'auditor' ? '/decisions' : '/approvals', { replace: true });
  }, [path, me.role]);
  for (const route of routes) {
    const params = matchPath(route.pattern, path);
    if (params) return route.render(params);
  }
  return path === '/' ? <Loading /> : <NotFound />;
}

const navItems = [
  { to: '/approvals', label: 'Approvals' },
  { to: '/decisions', label: 'Decisions' },
  { to: '/systems', label: 'Systems' },
  { to: '/monitoring', label: 'Monitoring' },
  { to: '/incidents', label: 'Incidents' },
  { to: '/gates', label: 'Release gates' },
  { to: '/ledger', label: 'Ledger' },
];

function PendingCount() {
  const pending = useApiQuery<{ decisions: Decision[] }>(
    '/v1/decisions',
    // The inbox's own query (same key), so the count and the inbox change together.
    { status: 'pending', limit: 200 },
    { refetchInterval: 5_000 },
  );
  const count = pending.data?.decisions.length ?? 0;
  if (count === 0) return null;
  return (
    <span className="nav-count" title={`${count} pending`}>
      {count >= 200 ? '199+' : count}
      <span className="visually-hidden"> pending</span>
    </span>
  );
}

function Shell() {
  const { me, signOut } = useSession();
  const path = usePath();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          Arbiter
        </Link>
        <nav aria-label="Main">
          <ul>
            {navItems.map((item) => {
              const current = path === item.to || path.startsWith(`${item.to}/`);
              return (
                <li key={item.to}>
                  <Link to={item.to} aria-current={current ? 'page' : undefined}>
                    {item.label}
                    {item.to === '/approvals' ? <PendingCount /> : null}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="who">
          <span className="who-name" data-testid="who">
            {me.id}
            <span className="who-role">{me.role}</span>
          </span>
          {me.groups.length > 0 ? <span className="who-groups">{me.groups.join(', ')}</span> : null}
          <button type="button" className="link-button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
    </div>
  );
}
