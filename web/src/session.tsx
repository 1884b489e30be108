import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { type ApiClient, ApiError, createApiClient } from './api/client.js';
import type { Me } from './api/types.js';

/**
 * Who is signed in. The token lives in sessionStorage (gone when the tab closes, never in a cookie
 * the browser would send by itself); every API call carries it as a bearer token.
 */

const storageKey = 'arbiter.token';

export interface Session {
  me: Me;
  api: ApiClient;
  signOut(message?: string): void;
}

type State =
  | { status: 'checking' }
  | { status: 'signed-out'; message?: string }
  | { status: 'signed-in'; me: Me; token: string };

const SessionContext = createContext<Session | undefined>(undefined);

/** The signed-in session; only inside the signed-in part of the app. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in session');
  return session;
}

/** Asks the server who the token is; agents are refused here, before anything is shown. */
export async function identify(token: string): Promise<Me> {
  const me = await createApiClient(token).get<Me>('/v1/me');
  if (me.role === 'agent')
    throw new ApiError(
      403,
      'AGENT_TOKEN',
      `This is the agent token of ${me.systemId ?? me.id}. The dashboard is for people: sign in with an approver, auditor or admin token.`,
    );
  return me;
}

export function useSessionState() {
  const [state, setState] = useState<State>(() =>
    sessionStorage.getItem(storageKey) ? { status: 'checking' } : { status: 'signed-out' },
  );

  const signOut = useCallback((message?: string) => {
    sessionStorage.removeItem(storageKey);
    setState({ status: 'signed-out', ...(message ? { message } : {}) });
  }, []);

  const signIn = useCallback(async (token: string) => {
    const me = await identify(token);
    sessionStorage.setItem(storageKey, token);
    setState({ status: 'signed-in', me, token });
  }, []);

  useEffect(() => {
    if (state.status !== 'checking') return;
    const token = sessionStorage.getItem(storageKey) ?? '';
    identify(token)
      .then((me) => setState({ status: 'signed-in', me, token }))
      .catch((error: unknown) =>
        signOut(
          error instanceof ApiError && error.status === 0
            ? error.message
            : 'Your session ended: sign in again.',
        ),
      );
  }, [state.status, signOut]);

  const token = state.status === 'signed-in' ? state.token : undefined;
  const api = useMemo(
    () =>
      token
        ? createApiClient(token, () =>
            signOut('The server no longer accepts your token (revoked or expired).'),
          )
        : undefined,
    [token, signOut],
  );
  const session = useMemo<Session | undefined>(
    () => (state.status === 'signed-in' && api ? { me: state.me, api, signOut } : undefined),
    [state, api, signOut],
  );
  return { state, session, signIn };
}

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
