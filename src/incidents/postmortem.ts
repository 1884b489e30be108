import type { Trace, TraceReplay } from './trace.js';
import { describeDecisionHeadline, describePaged, describeReplay } from './trace-text.js';

/**
 * A draft postmortem from an incident's trace, as Markdown or HTML. Both come from one list of
 * blocks, so they say the same; every text from the record is untrusted and escaped for the format.
 * Sections only people can write are marked TO BE WRITTEN.
 */

export type PostmortemBlock =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'fields'; rows: [string, string][] }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; header: string[]; rows: string[][] }
  | { kind: 'todo'; text: string };

export interface PostmortemOptions {
  /** The replayed verdict per decision id (from the trace, or against a candidate directory). */
  replays: ReadonlyMap<string, TraceReplay>;
  /** What the replay evaluated against, in words ("the policies in force on the server"). */
  replayedAgainst: string;
}

const duration = (from: string, to: string) => {
  const minutes = Math.round((Date.parse(to) - Date.parse(from)) / 60_000);
  return minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
};

export function postmortemBlocks(trace: Trace, options: PostmortemOptions): PostmortemBlock[] {
  const incident = trace.incident;
  if (!incident) throw new TypeError('a postmortem needs the trace of an incident');
  const blocks: PostmortemBlock[] = [
    { kind: 'heading', level: 1, text: `Postmortem (draft): ${incident.title}` },
    {
      kind: 'paragraph',
      text: `Drafted by Arbiter from the accountability trace of incident ${incident.id} at ${trace.generatedAt}. Every fact below comes from the ledger; sections marked TO BE WRITTEN are for the people who handled the incident.`,
    },
    { kind: 'heading', level: 2, text: 'Summary' },
    {
      kind: 'fields',
      rows: [
        ['Incident', incident.id],
        ['Severity', incident.severity],
        ['Status', incident.status],
        ['System', incident.system ?? '—'],
        ['Opened', `${incident.openedAt} by ${incident.openedBy} (${incident.trigger})`],
        [
          'Resolved',
          incident.resolvedAt
            ? `${incident.resolvedAt} by ${incident.resolvedBy} after ${duration(incident.openedAt, incident.resolvedAt)}`
            : 'not yet',
        ],
        ['Resolution', incident.resolution ?? '—'],
        ['Description', incident.description ?? '—'],
        ['Paged', describePaged(incident.paged)],
      ],
    },
    { kind: 'heading', level: 2, text: 'Impact' },
    { kind: 'todo', text: 'Who and what was affected, for how long, and how it was noticed.' },
    { kind: 'heading', level: 2, text: 'Timeline' },
    {
      kind: 'table',
      header: ['Time (UTC)', 'Ledger #', 'Event', 'Proof'],
      rows: trace.timeline.map((event) => [
        event.time,
        String(event.ledgerIndex),
        event.summary,
        event.verified ? 'verified' : 'NOT VERIFIED',
      ]),
    },
    { kind: 'heading', level: 2, text: 'Decision chain' },
  ];
  if (trace.decisions.length === 0)
    blocks.push({ kind: 'paragraph', text: 'No decision is linked to this incident.' });
  for (const decision of trace.decisions) {
    const request = decision.request as {
      rationale?: string;
      confidence?: number;
      evidence?: unknown[];
      context?: unknown;
      change?: unknown;
    };
    blocks.push(
      { kind: 'heading', level: 3, text: `${decision.id}: ${describeDecisionHeadline(decision)}` },
      {
        kind: 'fields',
        rows: [
          ['Requested', `${decision.createdAt} by ${decision.actor.id} (${decision.actor.kind})`],
          ['Rationale', request.rationale ?? '—'],
          ['Confidence', request.confidence === undefined ? '—' : String(request.confidence)],
          ['Change', request.change ? JSON.stringify(request.change) : '—'],
          ['Evidence', (request.evidence ?? []).map((item) => JSON.stringify(item)).join('; ') || '—'],
          ['Context', request.context ? JSON.stringify(request.context) : '—'],
          [
            'Verdict',
            `${decision.effect} → ${decision.status}${decision.statusReason ? ` (${decision.statusReason})` : ''}`,
          ],
          ['Policy bundle', decision.bundle],
          [
            'Outcome',
            decision.outcome
              ? `${decision.outcome.status} at ${decision.outcome.at}${decision.outcome.detail ? `: ${decision.outcome.detail}` : ''}`
              : 'not reported',
          ],
          ['Request hash', decision.requestHash],
        ],
      },
      {
        kind: 'list',
        items: [
          ...decision.rules.map(
            (rule) => `Rule ${rule.policy}/${rule.rule} (${rule.effect}): ${rule.message}`,
          ),
          ...decision.approvals.map(
            (approval) =>
              `${approval.verdict === 'approve' ? 'Approved' : 'Rejected'} by ${approval.approver}${approval.groups.length ? ` (${approval.groups.join(', ')})` : ''} at ${approval.at}${approval.reason ? `: ${approval.reason}` : ''}`,
          ),
        ],
      },
    );
  }
  blocks.push(
    { kind: 'heading', level: 2, text: 'Owners and who was paged' },
    {
      kind: 'table',
      header: ['System', 'Owner team', 'Owner', 'On call (paged)', 'Resolved at'],
      rows: trace.accountability.map((owner) => [
        owner.system,
        owner.owner.team ?? '—',
        owner.owner.person ?? '—',
        describePaged(owner.paged),
        owner.paged.at,
      ]),
    },
    { kind: 'heading', level: 2, text: 'Contributing alerts and releases' },
  );
  blocks.push(
    trace.alerts.length === 0
      ? { kind: 'paragraph', text: 'No monitoring alert of these Systems fired around the incident.' }
      : {
          kind: 'table',
          header: ['Time (UTC)', 'Alert', 'Severity', 'Transition', 'Message'],
          rows: trace.alerts.map((alert) => [
            alert.time,
            `${alert.system}/${alert.policy}/${alert.alert}${alert.linked ? ' (linked)' : ''}`,
            alert.severity,
            alert.transition,
            alert.message,
          ]),
        },
  );
  blocks.push(
    trace.gateRuns.length === 0
      ? { kind: 'paragraph', text: 'No gate run of these Systems was recorded before the decisions.' }
      : {
          kind: 'table',
          header: ['Gate run', 'Release', 'Result', 'Failed checks', 'Why it is here'],
          rows: trace.gateRuns.map((run) => [
            `${run.id} (${run.recordedAt})`,
            `${run.system} ${run.version}`,
            run.passed ? 'passed' : 'failed',
            run.failedChecks.map((check) => `${check.policy}/${check.check}`).join(', ') || '—',
            run.selectedBy,
          ]),
        },
  );
  for (const decision of trace.decisions)
    if (decision.release.problem) blocks.push({ kind: 'paragraph', text: decision.release.problem });
  blocks.push(
    { kind: 'heading', level: 2, text: 'What would have stopped it' },
    {
      kind: 'paragraph',
      text: `Each linked request replayed against ${options.replayedAgainst}, as of the time it was made (without the actor's recent history).`,
    },
  );
  const replayItems = trace.decisions.map((decision) => {
    const replay = options.replays.get(decision.id);
    return replay
      ? `${decision.id}: ${describeReplay(replay)} (bundle ${replay.bundle}; recorded verdict ${replay.recordedEffect})`
      : `${decision.id}: not replayed`;
  });
  blocks.push(
    replayItems.length > 0
      ? { kind: 'list', items: replayItems }
      : { kind: 'paragraph', text: 'No decision to replay.' },
    { kind: 'todo', text: 'Which policy change would stop this next time, and who owns it.' },
    { kind: 'heading', level: 2, text: 'Root cause' },
    {
      kind: 'todo',
      text: 'Why it happened, beyond "the model decided": the conditions, the gaps in the checks.',
    },
    { kind: 'heading', level: 2, text: 'Action items' },
    { kind: 'todo', text: 'Each action with an owner and a due date.' },
    { kind: 'table', header: ['Action', 'Owner', 'Due', 'Tracking'], rows: [['', '', '', '']] },
    { kind: 'heading', level: 2, text: 'Evidence' },
    {
      kind: 'fields',
      rows: [
        [
          'Checkpoint',
          trace.checkpoint
            ? `size ${trace.checkpoint.size} of ${trace.checkpoint.origin}, root ${trace.checkpoint.root}, signature ${trace.checkpoint.signatureValid ? 'valid' : 'INVALID'}`
            : 'none signed yet',
        ],
        ['Proofs', `${trace.proofs.verified} of ${trace.proofs.total} ledger entries verified`],
        [
          'Verify offline',
          'arbiter ledger export --out DIR, then arbiter ledger verify DIR --key VERIFIER_KEY',
        ],
      ],
    },
  );
  return blocks;
}

const htmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => htmlEscapes[char]!);
}

/** Markdown text that renders as the text itself: no raw HTML, no stray emphasis, links or tables. */
function escapeMarkdown(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*[\]|])/g, '\\$1')
    .replace(/^([#+-])/, '\\$1');
}

export function postmortemMarkdown(blocks: readonly PostmortemBlock[]): string {
  const out: string[] = [];
  for (const block of blocks) {
    switch (block.kind) {
      case 'heading':
        out.push(`${'#'.repeat(block.level)} ${escapeMarkdown(block.text)}`, '');
        break;
      case 'paragraph':
        out.push(escapeMarkdown(block.text), '');
        break;
      case 'fields':
        out.push(
          ...block.rows.map(([label, value]) => `- **${escapeMarkdown(label)}:** ${escapeMarkdown(value)}`),
          '',
        );
        break;
      case 'list':
        out.push(...block.items.map((item) => `- ${escapeMarkdown(item)}`), '');
        break;
      case 'table':
        out.push(
          `| ${block.header.map(escapeMarkdown).join(' | ')} |`,
          `| ${block.header.map(() => '---').join(' | ')} |`,
          ...block.rows.map((row) => `| ${row.map(escapeMarkdown).join(' | ')} |`),
          '',
        );
        break;
      case 'todo':
        out.push(`> **TO BE WRITTEN:** ${escapeMarkdown(block.text)}`, '');
        break;
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export function postmortemHtml(blocks: readonly PostmortemBlock[]): string {
  const heading = blocks.find((block) => block.kind === 'heading');
  const title = heading?.kind === 'heading' ? heading.text : 'Postmortem';
  const body = blocks.map((block) => {
    switch (block.kind) {
      case 'heading':
        return `<h${block.level}>${escapeHtml(block.text)}</h${block.level}>`;
      case 'paragraph':
        return `<p>${escapeHtml(block.text)}</p>`;
      case 'fields':
        return `<dl>${block.rows.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`;
      case 'list':
        return `<ul>${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
      case 'table':
        return `<table><thead><tr>${block.header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr></thead><tbody>${block.rows
          .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`;
      default:
        return `<div class="todo"><strong>TO BE WRITTEN:</strong> ${escapeHtml(block.text)}</div>`;
    }
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; word-break: break-word; }
th { background: #f6f8fa; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dt { font-weight: 600; }
dd { margin: 0; word-break: break-word; }
.todo { border-left: 4px solid #bf8700; background: #fff8c5; padding: 8px 12px; margin: 0.5rem 0 1rem; }
</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
