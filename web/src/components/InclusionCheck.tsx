import { useMutation } from '@tanstack/react-query';
import { ledgerSource } from '../api/ledger-source.js';
import { checkInclusion } from '../ledger/audit.js';
import { useSession } from '../session.js';
import { Badge } from './Badge.js';
import { JsonBlock } from './Facts.js';
import { ProofSteps } from './ProofSteps.js';
import { ErrorState } from './States.js';

/**
 * Verifies, in this browser, that ledger entry `seq` is in the signed log: the entry is hashed
 * (RFC 6962 leaf), the checkpoint's Ed25519 signature and the inclusion proof are checked with
 * WebCrypto. Auditors, approvers and admins read the ledger; others see why they cannot.
 */
export function InclusionCheck({ seq, label }: { seq: number; label: string }) {
  const { api, me } = useSession();
  const check = useMutation({ mutationFn: () => checkInclusion(ledgerSource(api), seq) });
  if (me.role === 'agent') return null;
  const report = check.data;
  return (
    <div className="inclusion" data-testid="inclusion-check">
      <div className="actions">
        <button type="button" onClick={() => check.mutate()} disabled={check.isPending}>
          {check.isPending ? 'Verifying…' : report ? 'Verify again' : `Verify ${label} in the ledger`}
        </button>
        {report ? (
          <span role="status">
            {report.ok ? (
              <Badge tone="good">verified in this browser</Badge>
            ) : (
              <Badge tone="bad">verification failed</Badge>
            )}
          </span>
        ) : (
          <span className="muted small">
            Entry #{seq}: hashes and signatures are recomputed here, not trusted from the server.
          </span>
        )}
      </div>
      {check.error ? <ErrorState error={check.error} title="The check could not run" /> : null}
      {report ? (
        <>
          <ProofSteps steps={report.steps} />
          {report.entry ? (
            <details>
              <summary>Ledger entry #{seq}</summary>
              <JsonBlock value={report.entry} />
            </details>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
