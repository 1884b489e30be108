import type { CheckStep } from '../ledger/audit.js';

/** The steps of an in-browser ledger check, each passed or failed, with what was computed. */
export function ProofSteps({ steps }: { steps: readonly CheckStep[] }) {
  return (
    <ol className="proof-steps">
      {steps.map((step) => (
        <li key={step.name} className={step.ok ? 'ok' : 'failed'}>
          <span className="step-mark" aria-hidden="true">
            {step.ok ? '✓' : '✗'}
          </span>
          <span className="visually-hidden">{step.ok ? 'passed: ' : 'failed: '}</span>
          <strong>{step.name}</strong> <span className="step-detail">{step.detail}</span>
        </li>
      ))}
    </ol>
  );
}
