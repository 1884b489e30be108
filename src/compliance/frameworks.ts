import type { Evidence } from './evidence.js';

/**
 * Controls of three AI governance frameworks and how Arbiter's ledger evidences them. Each control
 * states what it asks (paraphrased), what the ledger shows for the period, and — plainly — what is
 * missing. "met" means the ledger holds evidence for what Arbiter is responsible for; it is never a
 * claim of legal conformity, which needs evidence Arbiter does not hold.
 */

export const frameworks = ['eu-ai-act', 'nist-ai-rmf', 'iso-42001'] as const;
export type Framework = (typeof frameworks)[number];

export const frameworkTitles: Record<Framework, string> = {
  'eu-ai-act': 'EU AI Act (Regulation (EU) 2024/1689), obligations for high-risk AI systems',
  'nist-ai-rmf': 'NIST AI Risk Management Framework 1.0 (AI 100-1)',
  'iso-42001': 'ISO/IEC 42001:2023, Annex A controls',
};

export interface LedgerIntegrity {
  verified: boolean;
  entries: number;
  /** The signed checkpoint that anchors the report. */
  checkpoint?: { size: number; root: string; note: string };
  uncheckpointed: number;
  problem?: string;
}

export type ControlStatus = 'met' | 'partial' | 'gap';

export interface ControlAssessment {
  id: string;
  title: string;
  asks: string;
  status: ControlStatus;
  /** What the ledger shows, as sentences with numbers. */
  evidence: string[];
  /** What is missing or outside Arbiter, stated plainly. */
  gaps: string[];
  /** Keys of `Evidence.examples` an auditor can look up. */
  examples: string[];
}

interface Control {
  id: string;
  title: string;
  asks: string;
  assess(
    e: Evidence,
    ledger: LedgerIntegrity,
  ): Pick<ControlAssessment, 'status' | 'evidence' | 'gaps' | 'examples'>;
}

const pct = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${Math.round((part / whole) * 100)}%`);
const status = (gaps: readonly string[], evidence: readonly string[]): ControlStatus =>
  gaps.length === 0 ? 'met' : evidence.length > 0 ? 'partial' : 'gap';
const result = (evidence: string[], gaps: string[], examples: string[] = []) => ({
  status: status(gaps, evidence),
  evidence,
  gaps,
  examples,
});

// Assessments shared by several frameworks: one piece of evidence, several control ids.

function recordKeeping(e: Evidence, ledger: LedgerIntegrity) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  if (ledger.verified)
    evidence.push(
      `The ledger verifies in full: ${ledger.entries} entries recomputed against signed checkpoints; ${e.entries} fall in the period (${Object.keys(e.entryTypes).length} kinds of event).`,
    );
  else
    gaps.push(
      `The ledger does NOT verify: ${ledger.problem ?? 'unknown problem'}. Nothing in this report can be relied on until that is explained.`,
    );
  if (ledger.checkpoint)
    evidence.push(
      `Anchored by the signed checkpoint at tree size ${ledger.checkpoint.size}, root ${ledger.checkpoint.root}.`,
    );
  else
    gaps.push('No signed checkpoint covers the ledger: create one (GET /v1/ledger/checkpoint) and re-run.');
  if (ledger.uncheckpointed > 0)
    gaps.push(
      `${ledger.uncheckpointed} entries were appended after the latest checkpoint and are not yet covered by a signature.`,
    );
  return result(evidence, gaps);
}

function humanOversight(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  const needed = e.decisions.byEffect.require_approval ?? 0;
  evidence.push(
    `${e.decisions.total} decisions: ${e.decisions.byEffect.allow ?? 0} allowed by policy, ${needed} held for human approval, ${e.decisions.byEffect.deny ?? 0} denied.`,
  );
  if (e.approvals.total > 0)
    evidence.push(
      `${e.approvals.total} approval votes by ${e.approvals.approvers} distinct people (${e.approvals.rejections} rejections); median ${e.approvals.medianMinutesToDecision === null ? 'n/a' : `${e.approvals.medianMinutesToDecision.toFixed(1)} min`} from request to decision.`,
    );
  if (e.approvals.selfApprovals > 0)
    gaps.push(
      `${e.approvals.selfApprovals} approvals were cast by the requester itself: separation of duties was broken.`,
    );
  else if (e.approvals.total > 0)
    evidence.push('No requester approved its own request (separation of duties held).');
  if (e.oversight.freezes + e.oversight.autonomyDemotions > 0)
    evidence.push(
      `Kill switch used ${e.oversight.freezes} times; autonomy demoted ${e.oversight.autonomyDemotions} times after failures, changed by humans ${e.oversight.autonomyChanges} times.`,
    );
  if (needed > 0 && e.approvals.total === 0)
    gaps.push('Decisions required approval but no approval was recorded in the period.');
  if (e.decisions.total === 0)
    gaps.push('No AI actions were decided in the period, so oversight in operation is not evidenced.');
  return result(evidence, gaps, ['approval', 'decision.require_approval', 'oversight']);
}

function transparency(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  if (e.decisions.total > 0) {
    evidence.push(
      `${pct(e.decisions.withExplanation, e.decisions.total)} of decisions carry a machine-readable explanation (rules, effects, facts read, bundle digest); ${pct(e.decisions.withRationale, e.decisions.total)} carry the agent's rationale.`,
    );
    if (e.decisions.withRationale < e.decisions.total)
      gaps.push(
        `${e.decisions.total - e.decisions.withRationale} decisions have no rationale from the agent.`,
      );
  } else gaps.push('No decisions in the period.');
  gaps.push('Instructions for use and information to affected persons are outside Arbiter.');
  return result(evidence, gaps, ['decision.allow', 'decision.deny']);
}

function riskManagement(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  evidence.push(
    `${e.systems.registered} AI systems registered with a risk tier (${
      Object.entries(e.systems.byRiskTier)
        .map(([tier, n]) => `${n} ${tier}`)
        .join(', ') || 'none'
    }).`,
  );
  if (e.policies.bundlesInForce.length > 0)
    evidence.push(
      `${e.policies.bundlesInForce.length} policy bundle version(s) in force; ${e.policies.reloads} reviewed changes, ${e.policies.rejectedReloads} rejected.`,
    );
  else gaps.push('No policy bundle load is recorded before the end of the period.');
  if (e.systems.registered === 0) gaps.push('No AI systems are registered.');
  gaps.push(
    'Risk identification and estimation documents are outside Arbiter; link them from the System documents.',
  );
  return result(evidence, gaps, ['policy']);
}

function testing(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  if (e.gates.runs > 0)
    evidence.push(
      `${e.gates.runs} release gate runs (${e.gates.passed} passed, ${e.gates.failed} failed, ${e.gates.waivedChecks} checks waived by an owner) for ${e.gates.systems.length} systems: metrics, fairness, model-file scanning, licences, vulnerabilities, provenance.`,
    );
  else
    gaps.push(
      'No release gate run was recorded in the period (arbiter gate --record): no evidence of pre-release testing.',
    );
  const untested = e.systems.ids.filter((id) => !e.gates.systems.includes(id));
  if (e.gates.runs > 0 && untested.length > 0) gaps.push(`No gate run for: ${untested.join(', ')}.`);
  return result(evidence, gaps, ['gate']);
}

function monitoring(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  if (e.monitoring.alertsFired > 0 || e.monitoring.alertsResolved > 0)
    evidence.push(
      `${e.monitoring.alertsFired} monitoring alerts fired (${e.monitoring.critical} critical) and ${e.monitoring.alertsResolved} resolved, for ${e.monitoring.systems.join(', ')}.`,
    );
  else
    gaps.push(
      'No monitoring alert is recorded in the period: either nothing drifted or no model is monitored — check GET /v1/monitor.',
    );
  if (e.outcomes.failed + e.outcomes.rolledBack > 0)
    evidence.push(
      `${e.outcomes.failed} failed and ${e.outcomes.rolledBack} rolled-back AI actions were reported by the agents themselves.`,
    );
  return result(evidence, gaps, ['alert', 'outcome.failure']);
}

function incidents(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  if (e.incidents.opened > 0)
    evidence.push(
      `${e.incidents.opened} incidents opened, ${e.incidents.resolved} resolved, ${e.incidents.linked} links to decisions, releases and alerts.`,
    );
  const failures = e.outcomes.failed + e.outcomes.rolledBack;
  if (failures > 0 && e.incidents.opened === 0)
    gaps.push(`${failures} AI actions failed but no incident was recorded.`);
  if (e.incidents.opened > e.incidents.resolved)
    gaps.push(
      `${e.incidents.opened - e.incidents.resolved} incidents opened in the period are not resolved.`,
    );
  if (e.incidents.opened === 0 && failures === 0)
    evidence.push('No AI action failed and no incident was opened in the period.');
  gaps.push('Notification of serious incidents to market surveillance authorities is outside Arbiter.');
  return result(evidence, gaps, ['incident', 'outcome.failure']);
}

function accountability(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  evidence.push(
    `${e.systems.withOwner} of ${e.systems.registered} AI systems name an accountable owner team and person; ${e.systems.withOnCall} name an on-call contact.`,
  );
  if (e.systems.withOwner < e.systems.registered)
    gaps.push(`${e.systems.registered - e.systems.withOwner} systems have no accountable owner.`);
  evidence.push(
    `Access: ${e.access.tokensCreated} tokens issued and ${e.access.tokensRevoked} revoked in the period (roles: agent, approver, auditor, admin).`,
  );
  return result(evidence, gaps, ['oversight']);
}

function supplyChain(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  if (e.gates.runs > 0)
    evidence.push(
      `${e.gates.runs} gate runs recorded an AI bill of materials (CycloneDX) with licence and known-vulnerability checks and model-file scans.`,
    );
  else gaps.push('No gate run recorded an AI-BOM in the period.');
  gaps.push('Supplier agreements and third-party assessments are outside Arbiter.');
  return result(evidence, gaps, ['gate']);
}

function dataGovernance(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  if (e.data.checks > 0) {
    evidence.push(
      `${e.data.checks} data checks of ${e.data.datasets.length} data sets (${e.data.datasets.join(', ')}) were recorded with gate runs, each pinning the data by SHA-256: personal data and secrets, quality, representation and label bias against stated reference groups, train/evaluation leakage, drift; ${e.data.passed} passed, ${e.data.failed} failed.`,
    );
    if (e.data.withPersonalData > 0)
      gaps.push(
        `${e.data.withPersonalData} data checks found personal data where the schema does not allow it.`,
      );
  } else
    gaps.push(
      'No gate run recorded an `arbiter data check` of its training data: examination for bias, representativeness and errors is not evidenced.',
    );
  if (e.gates.runs > 0)
    evidence.push(
      `Datasets are named (with licences and hashes) in the AI-BOMs of ${e.gates.runs} gate runs.`,
    );
  gaps.push(
    'Relevance of the data to the intended purpose, and data collection processes, are outside Arbiter.',
  );
  return result(evidence, gaps, ['data', 'gate']);
}

function qualityManagement(e: Evidence) {
  const evidence: string[] = [];
  const gaps: string[] = [];
  if (e.policies.reloads + e.policies.rejectedReloads > 0 || e.policies.bundlesInForce.length > 0)
    evidence.push(
      `Policies are versioned as code: ${e.policies.bundlesInForce.length} bundle digests in force, ${e.policies.reloads} changes applied and ${e.policies.rejectedReloads} rejected at load; each decision names the bundle that decided it.`,
    );
  else gaps.push('No policy bundle is recorded.');
  if (e.notifications.deadLetters > 0)
    gaps.push(`${e.notifications.deadLetters} notifications could not be delivered (dead letters).`);
  return result(evidence, gaps, ['policy']);
}

const controls: Record<Framework, Control[]> = {
  'eu-ai-act': [
    {
      id: 'Art. 9',
      title: 'Risk management system',
      asks: 'A continuous, documented process to identify, evaluate and mitigate risks over the lifecycle.',
      assess: riskManagement,
    },
    {
      id: 'Art. 10',
      title: 'Data and data governance',
      asks: 'Training, validation and test data that are relevant, representative and examined for bias.',
      assess: dataGovernance,
    },
    {
      id: 'Art. 11',
      title: 'Technical documentation',
      asks: 'Documentation of the system, its components and its development.',
      assess: supplyChain,
    },
    {
      id: 'Art. 12',
      title: 'Record-keeping',
      asks: 'Automatic recording of events (logs) over the lifetime, enabling traceability.',
      assess: recordKeeping,
    },
    {
      id: 'Art. 13',
      title: 'Transparency and information to deployers',
      asks: 'Operation transparent enough to interpret the output and use it appropriately.',
      assess: transparency,
    },
    {
      id: 'Art. 14',
      title: 'Human oversight',
      asks: 'Natural persons can oversee, intervene, override and stop the system.',
      assess: humanOversight,
    },
    {
      id: 'Art. 15',
      title: 'Accuracy, robustness and cybersecurity',
      asks: 'Appropriate, declared accuracy; resilience to errors and attacks, including on the model and its supply chain.',
      assess: testing,
    },
    {
      id: 'Art. 17',
      title: 'Quality management system',
      asks: 'Documented policies, procedures and change management.',
      assess: qualityManagement,
    },
    {
      id: 'Art. 72',
      title: 'Post-market monitoring',
      asks: 'Active, systematic collection and analysis of performance data in use.',
      assess: monitoring,
    },
    {
      id: 'Art. 73',
      title: 'Reporting of serious incidents',
      asks: 'Serious incidents are identified, investigated and reported.',
      assess: incidents,
    },
  ],
  'nist-ai-rmf': [
    {
      id: 'GOVERN 1',
      title: 'Policies, processes and procedures',
      asks: 'Risk management policies are in place, transparent and implemented.',
      assess: qualityManagement,
    },
    {
      id: 'GOVERN 2',
      title: 'Accountability structures',
      asks: 'Roles, responsibilities and lines of communication are documented.',
      assess: accountability,
    },
    {
      id: 'MAP 1',
      title: 'Context is established',
      asks: 'The AI systems, their purposes and risk levels are inventoried.',
      assess: riskManagement,
    },
    {
      id: 'MEASURE 2',
      title: 'Trustworthiness is evaluated',
      asks: 'Systems are evaluated for validity, fairness, security and robustness before deployment.',
      assess: testing,
    },
    {
      id: 'MEASURE 3',
      title: 'Risks are tracked over time',
      asks: 'Mechanisms track identified and emergent risks in deployment.',
      assess: monitoring,
    },
    {
      id: 'MANAGE 2',
      title: 'Strategies to manage risk',
      asks: 'Mechanisms exist to supersede, disengage or deactivate AI systems.',
      assess: humanOversight,
    },
    {
      id: 'MANAGE 4',
      title: 'Risk treatments and incidents are documented',
      asks: 'Incidents and errors are communicated, and responses are tracked.',
      assess: incidents,
    },
    {
      id: 'MANAGE 3 / GOVERN 6',
      title: 'Third-party risks',
      asks: 'Risks from third-party software, data and models are managed.',
      assess: supplyChain,
    },
    {
      id: 'GOVERN 4 (records)',
      title: 'Documentation and traceability',
      asks: 'Decisions and their context are documented and traceable.',
      assess: recordKeeping,
    },
  ],
  'iso-42001': [
    {
      id: 'A.2',
      title: 'Policies related to AI',
      asks: 'An AI policy, aligned with other policies, reviewed.',
      assess: qualityManagement,
    },
    {
      id: 'A.3',
      title: 'Internal organization',
      asks: 'Roles and responsibilities for AI are defined and allocated.',
      assess: accountability,
    },
    {
      id: 'A.4',
      title: 'Resources for AI systems',
      asks: 'Resources (data, tools, components) are documented.',
      assess: supplyChain,
    },
    {
      id: 'A.5',
      title: 'Assessing impacts of AI systems',
      asks: 'Impacts on individuals and groups are assessed.',
      assess: riskManagement,
    },
    {
      id: 'A.6',
      title: 'AI system life cycle',
      asks: 'Verification and validation before release; operation and monitoring afterwards.',
      assess: testing,
    },
    {
      id: 'A.6.2.6',
      title: 'Operation and monitoring',
      asks: 'AI systems in operation are monitored for performance and failures.',
      assess: monitoring,
    },
    { id: 'A.6.2.8', title: 'Event logs', asks: 'Event logs are recorded and kept.', assess: recordKeeping },
    {
      id: 'A.7',
      title: 'Data for AI systems',
      asks: 'Data provenance and quality are managed.',
      assess: dataGovernance,
    },
    {
      id: 'A.8',
      title: 'Information for interested parties',
      asks: 'Users and affected parties get the information they need.',
      assess: transparency,
    },
    {
      id: 'A.9',
      title: 'Use of AI systems',
      asks: 'AI systems are used responsibly, with human oversight.',
      assess: humanOversight,
    },
    {
      id: 'A.10',
      title: 'Third-party and customer relationships',
      asks: 'Responsibilities with suppliers and customers are managed.',
      assess: supplyChain,
    },
    {
      id: 'A.6.2.8 / A.8.4',
      title: 'Incidents',
      asks: 'Incidents are reported, investigated and communicated.',
      assess: incidents,
    },
  ],
};

export function assessFramework(
  framework: Framework,
  evidence: Evidence,
  ledger: LedgerIntegrity,
): ControlAssessment[] {
  return controls[framework].map((control) => ({
    id: control.id,
    title: control.title,
    asks: control.asks,
    ...control.assess(evidence, ledger),
  }));
}
