import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useApiQuery } from '../api/hooks.js';
import { ledgerSource } from '../api/ledger-source.js';
import type { LedgerEntryView } from '../api/types.js';
import { Badge } from '../components/Badge.js';
import { ProofSteps } from '../components/ProofSteps.js';
import { Empty, ErrorState, Loading, QueryView } from '../components/States.js';
import { Time } from '../components/Time.js';
import { checkConsistency, latestCheckpoint } from '../ledger/audit.js';
import { toBase64 } from '../ledger/bytes.js';
import { Link, useTitle } from '../router.js';
import { useSession } from '../session.js';

/** The last checkpoint this browser verified, to check the log only ever grows between visits. */
const seenKey = 'arbiter.lastCheckpoint';

/**
 * The ledger: the latest signed checkpoint with its signature checked here, consistency with a
 * checkpoint the auditor kept (pasted) or this browser saw last time, and the newest entries.
 */
export function LedgerView() {
  useTitle('Ledger');
  const { api } = useSession();
  const source = ledgerSource(api);
  const latest = useQuery({
    queryKey: ['ledger', 'latest'],
    queryFn: async () => {
      const note = await source.checkpoint();
      return { note, ...(await latestCheckpoint(source)) };
    },
    refetchInterval: 30_000,
  });
  const size = latest.data?.signed?.checkpoint.size;

  return (
    <section className="page">
      <header className="page-head">
        <h1>Ledger</h1>
        <p className="muted">
          An RFC 6962 Merkle log of every decision, approval, freeze, gate run and alert, with Ed25519-signed
          checkpoints. Every check on this page runs in your browser.
        </p>
      </header>
      <section className="panel" aria-labelledby="checkpoint-h">
        <h2 id="checkpoint-h">Latest checkpoint</h2>
        <QueryView query={latest} loading="Fetching and verifying the checkpoint…">
          {({ note, signed, steps, witnesses }) =>
            !signed ? (
              note.trim() === '' ? (
                <Empty title="No checkpoint yet">The ledger signs one as soon as it has entries.</Empty>
              ) : (
                <ProofSteps steps={steps} />
              )
            ) : (
              <>
                <dl className="summary-grid">
                  <div>
                    <dt>Origin</dt>
                    <dd>
                      <code>{signed.checkpoint.origin}</code>
                    </dd>
                  </div>
                  <div>
                    <dt>Size</dt>
                    <dd data-testid="ledger-size">{signed.checkpoint.size.toLocaleString()} entries</dd>
                  </div>
                  <div>
                    <dt>Root hash</dt>
                    <dd>
                      <code className="digest">{toBase64(signed.checkpoint.root)}</code>
                    </dd>
                  </div>
                  <div>
                    <dt>Signature</dt>
                    <dd>
                      {steps.every((step) => step.ok) ? (
                        <Badge tone="good">verified</Badge>
                      ) : (
                        <Badge tone="bad">not verified</Badge>
                      )}{' '}
                      <span className="muted small">{steps.map((step) => step.detail).join('; ')}</span>
                    </dd>
                  </div>
                  <div>
                    <dt>Witnesses</dt>
                    <dd data-testid="witnesses">
                      {witnesses.length === 0 ? (
                        <span className="muted small">none configured (kind: Witness)</span>
                      ) : (
                        witnesses.map((check) => (
                          <span key={check.witness} className="witness">
                            {check.status === 'cosigned' ? (
                              <Badge tone="good">cosigned</Badge>
                            ) : check.status === 'missing' ? (
                              <Badge tone="warn">not yet</Badge>
                            ) : (
                              <Badge tone="bad">{check.status}</Badge>
                            )}{' '}
                            <code>{check.witness}</code>{' '}
                            <span className="muted small">
                              {check.status === 'cosigned' ? (
                                <Time value={check.time.toISOString()} />
                              ) : (
                                check.message
                              )}
                            </span>{' '}
                          </span>
                        ))
                      )}
                    </dd>
                  </div>
                </dl>
                <details>
                  <summary>The signed note (keep it to check consistency later)</summary>
                  <pre className="json" data-testid="checkpoint-note">
                    {note}
                  </pre>
                </details>
                <SinceLastVisit note={note} ok={steps.every((step) => step.ok)} />
              </>
            )
          }
        </QueryView>
      </section>
      <ConsistencyForm />
      <RecentEntries size={size} />
    </section>
  );
}

/** Checks consistency with the checkpoint this browser verified on its last visit, then remembers the new one. */
function SinceLastVisit({ note, ok }: { note: string; ok: boolean }) {
  const { api } = useSession();
  const [previous] = useState(() => localStorage.getItem(seenKey));
  const check = useQuery({
    queryKey: ['ledger', 'since-last-visit', previous, note],
    queryFn: () => checkConsistency(ledgerSource(api), previous!),
    enabled: previous !== null && previous !== note && ok,
  });
  useEffect(() => {
    if (ok && (previous === null || previous === note || check.data?.ok)) localStorage.setItem(seenKey, note);
  }, [ok, note, previous, check.data]);
  if (previous === null || previous === note) return null;
  if (check.isPending) return <Loading label="Checking against the checkpoint this browser saw last time…" />;
  if (check.error) return <ErrorState error={check.error} />;
  return (
    <p className={check.data?.ok ? 'notice' : 'form-error'} role="status">
      {check.data?.ok
        ? `Consistent with the checkpoint this browser verified before (${check.data.older?.size} entries): the log only grew.`
        : `Not consistent with the checkpoint this browser verified before: ${check.data?.steps.at(-1)?.detail}`}
    </p>
  );
}

function ConsistencyForm() {
  const { api } = useSession();
  const id = useId();
  const [note, setNote] = useState('');
  const check = useMutation({ mutationFn: (text: string) => checkConsistency(ledgerSource(api), text) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (note.trim()) check.mutate(note);
  };
  return (
    <section className="panel" aria-labelledby="consistency-h">
      <h2 id="consistency-h">Verify consistency</h2>
      <form onSubmit={submit} className="consistency-form">
        <label htmlFor={`${id}-note`}>
          Paste a checkpoint you kept earlier (the signed note). The browser fetches a consistency proof and
          checks that today&apos;s log extends it: nothing removed, nothing rewritten.
        </label>
        <textarea
          id={`${id}-note`}
          rows={6}
          spellCheck={false}
          value={note}
          onChange={(event) => setNote(event.target.value)}
          placeholder={'arbiter.local/…\n42\nbase64 root hash\n\n— arbiter.local/… signature'}
          className="mono"
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={check.isPending || !note.trim()}>
            {check.isPending ? 'Verifying…' : 'Verify consistency'}
          </button>
          {check.data ? (
            <span role="status">
              {check.data.ok ? (
                <Badge tone="good">consistent</Badge>
              ) : (
                <Badge tone="bad">not consistent</Badge>
              )}
            </span>
          ) : null}
        </div>
      </form>
      {check.error ? <ErrorState error={check.error} title="The check could not run" /> : null}
      {check.data ? <ProofSteps steps={check.data.steps} /> : null}
    </section>
  );
}

const entryLinks: Record<string, (subject: string) => string> = {
  decision: (subject) => `/decisions/${encodeURIComponent(subject)}`,
  approval: (subject) => `/decisions/${encodeURIComponent(subject)}`,
  gate: (subject) => `/gates?system=${encodeURIComponent(subject)}`,
  system: () => '/systems',
  alert: (subject) => `/monitoring/${encodeURIComponent(subject)}`,
  incident: (subject) => `/incidents/${encodeURIComponent(subject)}`,
};

function RecentEntries({ size }: { size: number | undefined }) {
  const count = 25;
  const start = size === undefined ? undefined : Math.max(0, size - count);
  const entries = useApiQuery<{ size: number; entries: LedgerEntryView[] }>(
    start === undefined ? undefined : '/v1/ledger/entries',
    { start, end: size },
  );
  return (
    <section className="panel" aria-labelledby="entries-h">
      <h2 id="entries-h">Newest entries</h2>
      {size === undefined ? (
        <p className="muted">Shown once the checkpoint is loaded.</p>
      ) : (
        <QueryView query={entries} loading="Loading entries…">
          {({ entries: list }) =>
            list.length === 0 ? (
              <Empty title="The ledger is empty" />
            ) : (
              <div className="table-wrap">
                <table className="data-table">
                  <thead>
                    <tr>
                      <th scope="col">#</th>
                      <th scope="col">When</th>
                      <th scope="col">Type</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Subject</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...list].reverse().map(({ seq, entry }) => {
                      const link = entryLinks[entry.type.split('.')[0]!];
                      return (
                        <tr key={seq}>
                          <td>{seq}</td>
                          <td>
                            <Time value={entry.time} />
                          </td>
                          <td>
                            <code>{entry.type}</code>
                          </td>
                          <td>{entry.actor}</td>
                          <td>
                            {link ? (
                              <Link to={link(entry.subject)}>{entry.subject}</Link>
                            ) : (
                              <code>{entry.subject}</code>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryView>
      )}
    </section>
  );
}
