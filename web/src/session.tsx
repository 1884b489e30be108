import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { type ApiClient, ApiError, type Credential, createApiClient } from './api/client.js';
import type { Me } from './api/types.js';

/**
 * Who is signed in. With single sign-on the session is an HttpOnly cookie the browser sends by
 * itself; the page asks `GET /auth/session` for its CSRF token and sends it with every POST. With
 * a pasted token, the token lives in sessionStorage (gone when the tab closes, never in a cookie)
 * and every API call carries it as a bearer token.
 */

const storageKey = 'arbiter.token';

/** The identity provider people sign in with, as `GET /auth/session` names it. */
export interface SignInProvider {
  displayName: string;
  loginUrl: string;
}

interface SessionInfo {
  provider: (SignInProvider & { name: string }) | null;
  humanTokens: boolean;
  session: { csrfToken: string } | null;
}

export interface Session {
  me: Me;
  api: ApiClient;
  signOut(message?: string): void;
}

type State =
  | { status: 'checking' }
  | { status: 'signed-out'; message?: string; provider?: SignInProvider; humanTokens: boolean }
  | { status: 'signed-in'; me: Me; credential: Credential };

const SessionContext = createContext<Session | undefined>(undefined);

/** The signed-in session; only inside the signed-in part of the app. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in session');
  return session;
}

/** Asks the server who the credential is; agents are refused here, before anything is shown. */
export async function identify(credential: Credential | string): Promise<Me> {
  const me = await createApiClient(credential).get<Me>('/v1/me');
  if (me.role === 'agent')
    throw new ApiError(
      403,
      'AGENT_TOKEN',
      `This is the agent token of ${me.systemId ?? me.id}. The dashboard is for people: sign in with an approver, auditor or admin token.`,
    );
  return me;
}

async function sessionInfo(): Promise<SessionInfo> {
  const response = await fetch('/auth/session', { credentials: 'same-origin' });
  if (!response.ok) return { provider: null, humanTokens: true, session: null };
  return (await response.json()) as SessionInfo;
}

export function useSessionState() {
  const [state, setState] = useState<State>({ status: 'checking' });
  const [signInOptions, setSignInOptions] = useState<{ provider?: SignInProvider; humanTokens: boolean }>({
    humanTokens: true,
  });

  const credential = state.status === 'signed-in' ? state.credential : undefined;
  const signOut = useCallback(
    (message?: string) => {
      sessionStorage.removeItem(storageKey);
      // A provider session ends at the server too, so a copy of the cookie is dead as well.
      const ended =
        credential && 'csrfToken' in credential
          ? fetch('/auth/logout', {
              method: 'POST',
              credentials: 'same-origin',
              headers: { 'x-arbiter-csrf': credential.csrfToken },
            }).catch(() => undefined)
          : Promise.resolve(undefined);
      void ended.then(() =>
        setState({ status: 'signed-out', ...(message ? { message } : {}), ...signInOptions }),
      );
    },
    [credential, signInOptions],
  );

  const signIn = useCallback(async (token: string) => {
    const me = await identify(token);
    sessionStorage.setItem(storageKey, token);
    setState({ status: 'signed-in', me, credential: { token } });
  }, []);

  useEffect(() => {
    if (state.status !== 'checking') return;
    (async () => {
      const info = await sessionInfo().catch(
        (): SessionInfo => ({ provider: null, humanTokens: true, session: null }),
      );
      const options = {
        ...(info.provider ? { provider: info.provider } : {}),
        humanTokens: info.humanTokens,
      };
      setSignInOptions(options);
      if (info.session) {
        const credential = { csrfToken: info.session.csrfToken };
        setState({ status: 'signed-in', me: await identify(credential), credential });
        return;
      }
      const token = sessionStorage.getItem(storageKey);
      if (!token) {
        setState({ status: 'signed-out', ...options });
        return;
      }
      const me = await identify(token);
      setState({ status: 'signed-in', me, credential: { token } });
    })().catch((error: unknown) => {
      sessionStorage.removeItem(storageKey);
      setState({
        status: 'signed-out',
        message:
          error instanceof ApiError && error.status === 0
            ? error.message
            : 'Your session ended: sign in again.',
        humanTokens: true,
      });
    });
  }, [state.status]);

  const api = useMemo(
    () =>
      credential
        ? createApiClient(credential, () =>
            signOut('The server no longer accepts your sign-in (signed out, revoked or expired).'),
          )
        : undefined,
    [credential, signOut],
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
