import { type FormEvent, useId, useState } from 'react';
import { useTitle } from '../router.js';
import type { SignInProvider } from '../session.js';

/**
 * Sign-in: with the identity provider when the server has one ("Sign in with <provider>"), which
 * brings the person back to the page they asked for; otherwise with a token (approvers, auditors
 * and admins; agent tokens are refused with a reason).
 */
export function SignIn({
  onSignIn,
  message,
  provider,
}: {
  onSignIn: (token: string) => Promise<void>;
  message?: string | undefined;
  provider?: SignInProvider | undefined;
}) {
  useTitle('Sign in');
  if (provider) return <ProviderSignIn provider={provider} message={message} />;
  return <TokenSignIn onSignIn={onSignIn} message={message} />;
}

function ProviderSignIn({ provider, message }: { provider: SignInProvider; message?: string | undefined }) {
  const here = `${window.location.pathname}${window.location.search}${window.location.hash}`;
  const href = `${provider.loginUrl}?${new URLSearchParams({ return: here }).toString()}`;
  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1>
          <img src="/favicon.svg" alt="" width={32} height={32} /> Arbiter
        </h1>
        {message ? (
          <p className="notice" role="status">
            {message}
          </p>
        ) : null}
        <a className="button primary" href={href} data-testid="sso-sign-in">
          Sign in with {provider.displayName}
        </a>
      </div>
    </main>
  );
}

function TokenSignIn({
  onSignIn,
  message,
}: {
  onSignIn: (token: string) => Promise<void>;
  message?: string | undefined;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const id = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(token.trim());
    } catch (cause) {
      const text = cause instanceof Error ? cause.message : String(cause);
      setError(
        /AUTH|401|token/i.test(text) && !/agent token/i.test(text)
          ? `That token was not accepted: ${text}`
          : text,
      );
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form className="signin-card" onSubmit={submit} aria-describedby={`${id}-help`}>
        <h1>
          <img src="/favicon.svg" alt="" width={32} height={32} /> Arbiter
        </h1>
        <p id={`${id}-help`} className="muted">
          Sign in with your approver, auditor or admin token (<code>arb_…</code>). It is kept in this tab only
          and forgotten when you close it.
        </p>
        {message ? (
          <p className="notice" role="status">
            {message}
          </p>
        ) : null}
        <label htmlFor={`${id}-token`}>Token</label>
        <input
          id={`${id}-token`}
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          pattern="\s*arb_[A-Za-z0-9_\-]+\s*"
          title="An Arbiter token starts with arb_"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-errormessage={error ? `${id}-error` : undefined}
        />
        {error ? (
          <p className="form-error" id={`${id}-error`} role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          No token? An admin creates one:{' '}
          <code>arbiter tokens create --db DATABASE --role approver --user NAME --groups TEAM</code>, with the
          server's database (the demo's: <code>sqlite:./.arbiter/demo.db</code>)
        </p>
      </form>
    </main>
  );
}
