import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import type { System, TrackRecord } from '../api/types.js';
import { autonomyCap } from '../autonomy.js';
import { Badge, StatusBadge } from '../components/Badge.js';
import { Empty, QueryView } from '../components/States.js';
import { Time } from '../components/Time.js';
import { Link, useTitle } from '../router.js';
import { useSession } from '../session.js';
import { useSystems } from '../systems.js';

const autonomyLevels = ['observe', 'suggest', 'act with approval', 'act within boundaries'];

/** Admins freeze anything; approvers the Systems their team owns (the server checks again). */
function canFreeze(me: { role: string; groups: readonly string[] }, system: System): boolean {
  if (me.role === 'admin') return true;
  return me.role === 'approver' && system.owner?.team !== undefined && me.groups.includes(system.owner.team);
}

/**
 * Every registered AI agent and model: who owns it, how much autonomy it has, and the kill switch.
 * With `focus` (the /systems/:id page that notifications link to), just that System.
 */
export function SystemsView({ focus }: { focus?: string } = {}) {
  useTitle(focus ?? 'Systems');
  const systems = useSystems();
  return (
    <section className="page">
      <header className="page-head">
        <h1>{focus ? `System ${focus}` : 'Systems'}</h1>
        <p className="muted">
          {focus ? (
            <Link to="/systems">All Systems</Link>
          ) : (
            'AI agents and models, each with an accountable owner. Freezing one denies its requests at once.'
          )}
        </p>
      </header>
      <QueryView query={systems} loading="Loading Systems…">
        {({ systems: all }) => {
          const list = focus ? all.filter((system) => system.id === focus) : all;
          return focus && list.length === 0 ? (
            <Empty title={`No System ${focus}`}>
              It is not registered. <Link to="/systems">See every System</Link>.
            </Empty>
          ) : list.length === 0 ? (
            <Empty title="No Systems registered">
              Add <code>kind: System</code> documents to the policy directory, or register one with{' '}
              <code>POST /v1/systems</code>.
            </Empty>
          ) : (
            <ul className="cards systems">
              {list.map((system) => (
                <li key={system.id}>
                  <SystemCard system={system} />
                </li>
              ))}
            </ul>
          );
        }}
      </QueryView>
    </section>
  );
}

function SystemCard({ system }: { system: System }) {
  const { me } = useSession();
  const frozen = system.status === 'frozen';
  return (
    <article
      className={`card system-card${frozen ? ' frozen' : ''}`}
      aria-labelledby={`sys-${system.id}`}
      data-system={system.id}
    >
      <header className="card-head">
        <h2 id={`sys-${system.id}`}>{system.id}</h2>
        <div className="card-meta">
          <Badge tone="info">{system.kind}</Badge>
          <StatusBadge status={system.status} />
          <Badge tone={system.riskTier === 'high' ? 'warn' : 'neutral'}>risk: {system.riskTier}</Badge>
        </div>
      </header>
      {system.description ? <p>{system.description}</p> : null}
      <dl className="details">
        <div>
          <dt>Owner</dt>
          <dd>
            {system.owner?.team ?? '—'}
            {system.owner?.person ? <span className="muted"> · {system.owner.person}</span> : null}
          </dd>
        </div>
        <div>
          <dt>On call</dt>
          <dd>
            {system.onCall?.team ?? '—'}
            {system.onCall?.person ? <span className="muted"> · {system.onCall.person}</span> : null}
            {system.onCall?.rotation ? (
              <span className="muted"> · rotation {system.onCall.rotation}</span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>Autonomy</dt>
          <dd>
            <Autonomy system={system} />
          </dd>
        </div>
        {frozen ? (
          <div>
            <dt>Frozen</dt>
            <dd>
              {system.statusReason ?? 'no reason given'}
              {system.statusBy ? <span className="muted"> · by {system.statusBy}</span> : null}{' '}
              {system.statusAt ? <Time value={system.statusAt} /> : null}
            </dd>
          </div>
        ) : null}
        {system.trackRecord ? (
          <div>
            <dt>Track record</dt>
            <dd>
              <TrackRecordSummary record={system.trackRecord} />
            </dd>
          </div>
        ) : null}
        {system.errorBudget ? (
          <div>
            <dt>Error budget</dt>
            <dd>
              <ErrorBudget system={system} />
            </dd>
          </div>
        ) : null}
      </dl>
      <p className="card-links">
        <Link to={`/decisions?system=${encodeURIComponent(system.id)}`}>Decisions</Link>
        {system.kind === 'model' ? (
          <>
            {' · '}
            <Link to={`/monitoring/${encodeURIComponent(system.id)}`}>Monitoring</Link>
            {' · '}
            <Link to={`/gates?system=${encodeURIComponent(system.id)}`}>Release gates</Link>
          </>
        ) : null}
      </p>
      {canFreeze(me, system) ? <FreezeForm system={system} /> : null}
    </article>
  );
}

function Autonomy({ system }: { system: System }) {
  const cap = autonomyCap(system);
  return (
    <>
      <span className="autonomy" aria-hidden="true">
        {[1, 2, 3].map((level) => (
          <span key={level} className={level <= system.autonomy ? 'on' : 'off'} />
        ))}
      </span>{' '}
      {system.autonomy} · {autonomyLevels[system.autonomy] ?? 'unknown'}
      {cap ? (
        <div data-testid="autonomy-cap">
          <Badge tone="warn">{cap.cause === 'human' ? 'lowered' : 'demoted'}</Badge>{' '}
          <span className="muted small">
            {cap.text}
            {'change' in cap ? (
              <>
                {' '}
                · <Time value={cap.change.at} />
              </>
            ) : null}
          </span>
        </div>
      ) : null}
    </>
  );
}

const percentOf = (share: number) => `${Math.round(share * 100)}%`;

function TrackRecordSummary({ record }: { record: TrackRecord }) {
  return (
    <span>
      {record.actions === 0 ? (
        <span className="muted">no reported outcome</span>
      ) : (
        <>
          {record.actions} action{record.actions === 1 ? '' : 's'}: {record.succeeded} succeeded,{' '}
          {record.failed} failed, {record.rolledBack} rolled back ({percentOf(record.failureRate)} failure
          rate)
        </>
      )}
      <span className="muted small">
        {' '}
        · last {record.window}
        {record.environments.length > 0 ? ` in ${record.environments.join(', ')}` : ''}
      </span>
    </span>
  );
}

function ErrorBudget({ system }: { system: System }) {
  const spec = system.errorBudget!;
  const spend = system.trackRecord?.budget;
  return (
    <span>
      {spend ? (
        <>
          <meter
            min={0}
            max={spend.maxFailures}
            value={spend.failures}
            high={spend.maxFailures}
            aria-label="failures used"
          />{' '}
          {spend.failures} of {spend.maxFailures} failures used, {spend.remaining} left
        </>
      ) : (
        <>{spec.maxFailures} failures</>
      )}
      <span className="muted small">
        {' '}
        · per {spec.window}
        {spec.environments?.length ? ` in ${spec.environments.join(', ')}` : ''}
      </span>
    </span>
  );
}

function FreezeForm({ system }: { system: System }) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const id = useId();
  const opener = useRef<HTMLButtonElement>(null);
  // The opener is not rendered while the form is open: focus moves back once it is again.
  const refocus = useRef(false);
  useEffect(() => {
    if (open || !refocus.current) return;
    refocus.current = false;
    opener.current?.focus();
  }, [open]);
  /** Closes the form and puts focus back on the button that opened it. */
  const close = () => {
    refocus.current = true;
    setOpen(false);
  };
  const frozen = system.status === 'frozen';
  const verb = frozen ? 'Unfreeze' : 'Freeze';
  const change = useMutation({
    mutationFn: () =>
      api.post<System>(`/v1/systems/${encodeURIComponent(system.id)}/${frozen ? 'unfreeze' : 'freeze'}`, {
        reason: reason.trim(),
      }),
    onSuccess: () => {
      close();
      setReason('');
      void queryClient.invalidateQueries({ queryKey: ['/v1/systems'] });
      void queryClient.invalidateQueries({ queryKey: ['/v1/decisions'] });
    },
  });
  if (!open)
    return (
      <div className="actions">
        <button ref={opener} type="button" className={frozen ? '' : 'reject'} onClick={() => setOpen(true)}>
          {verb} {system.id}…
        </button>
        {change.data ? (
          <span role="status" className="muted">
            {change.data.id} is now {change.data.status}.
          </span>
        ) : null}
      </div>
    );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim()) change.mutate();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    close();
  };
  return (
    <form className="freeze-form" onSubmit={submit} onKeyDown={onKeyDown} aria-label={`${verb} ${system.id}`}>
      <label htmlFor={`${id}-reason`}>
        Why {frozen ? 'lift the kill switch' : 'freeze it'}?{' '}
        <span className="muted">
          {frozen ? '' : 'Its pending requests are denied and new ones refused until it is unfrozen.'}
        </span>
      </label>
      <input
        id={`${id}-reason`}
        value={reason}
        required
        maxLength={2000}
        onChange={(event) => setReason(event.target.value)}
        placeholder={frozen ? 'e.g. INC-42 resolved' : 'e.g. INC-42: bad deploys'}
        // biome-ignore lint/a11y/noAutofocus: the form opens on request; focus belongs in its only field
        autoFocus
      />
      <div className="actions">
        <button
          type="submit"
          className={frozen ? 'primary' : 'reject'}
          disabled={change.isPending || !reason.trim()}
        >
          {verb}
        </button>
        <button type="button" onClick={close}>
          Cancel
        </button>
      </div>
      {change.error ? (
        <p className="form-error" role="alert">
          {change.error.message}
        </p>
      ) : null}
    </form>
  );
}
