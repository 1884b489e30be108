import type { LedgerEntry } from '../ledger/entry.js';
import { type ApplicationDate, applicationDates } from './dates.js';
import { collectEvidence, type Evidence } from './evidence.js';
import {
  assessFramework,
  type ControlAssessment,
  type Framework,
  frameworkTitles,
  type LedgerIntegrity,
} from './frameworks.js';

/** An evidence pack for one framework and period, anchored to a signed checkpoint of the ledger. */
export interface ComplianceReport {
  format: 'arbiter.compliance-report/v1';
  framework: Framework;
  title: string;
  generatedAt: string;
  period: { from: string; to: string };
  ledger: LedgerIntegrity & { origin: string };
  summary: { met: number; partial: number; gap: number };
  /** When the framework's obligations apply (EU AI Act: as amended by the 2026 Digital Omnibus). */
  applicationDates: ApplicationDate[];
  controls: ControlAssessment[];
  evidence: Evidence;
}

export function buildComplianceReport(options: {
  framework: Framework;
  entries: readonly LedgerEntry[];
  from: Date;
  to: Date;
  ledger: LedgerIntegrity & { origin: string };
  now: Date;
}): ComplianceReport {
  const evidence = collectEvidence(options.entries, options.from, options.to);
  const controls = assessFramework(options.framework, evidence, options.ledger);
  const count = (status: ControlAssessment['status']) => controls.filter((c) => c.status === status).length;
  return {
    format: 'arbiter.compliance-report/v1',
    framework: options.framework,
    title: frameworkTitles[options.framework],
    generatedAt: options.now.toISOString(),
    period: evidence.period,
    ledger: options.ledger,
    summary: { met: count('met'), partial: count('partial'), gap: count('gap') },
    applicationDates: applicationDates[options.framework],
    controls,
    evidence,
  };
}
