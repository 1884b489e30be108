import type { JsonObject } from '../core/json.js';
import type { LedgerEntry } from '../ledger/entry.js';

/** One line a person reads for a ledger entry in a timeline; the entry's data, never personal values. */
export function describeEntry(entry: LedgerEntry): string {
  const data = entry.data as JsonObject & Record<string, unknown>;
  const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  switch (entry.type) {
    case 'decision.created': {
      const request = (data.request ?? {}) as { action?: string; resource?: Record<string, string> };
      const resource = request.resource ?? {};
      const where = resource.environment ? ` (${resource.environment})` : '';
      return `${entry.actor} asked to ${text(request.action)} ${text(resource.type)}:${text(resource.id)}${where}: ${text(data.status)} (${text(data.effect)})`;
    }
    case 'approval.recorded':
      return `${entry.actor} ${data.verdict === 'reject' ? 'rejected' : 'approved'} ${entry.subject}`;
    case 'decision.allowed':
      return `${entry.subject} allowed (${text(data.reason)}${Array.isArray(data.approvers) ? ` by ${data.approvers.join(', ')}` : ''})`;
    case 'decision.denied':
      return `${entry.subject} denied (${text(data.reason)})`;
    case 'decision.started':
      return `${entry.actor} started ${entry.subject}${data.reason === 'outcome-reported' ? ' (by reporting its outcome)' : ''}`;
    case 'decision.revoked':
      return `${entry.subject} revoked by a freeze (${text(data.detail)})`;
    case 'decision.withdrawn':
      return `${entry.actor} withdrew ${entry.subject}${data.detail ? `: ${text(data.detail)}` : ''}`;
    case 'decision.expired':
      return `${entry.subject} expired: not started within its execution window`;
    case 'decision.outcome':
      return `${entry.actor} reported ${text(data.status).replace('_', ' ')}${data.detail ? `: ${text(data.detail)}` : ''}`;
    case 'gate.run':
      return `gate run of ${text(data.system)} ${text(data.version)}: ${data.passed ? 'passed' : 'failed'}`;
    case 'alert.firing':
      return `${text(data.system)}: ${text(data.alert)} (${text(data.severity)}) firing: ${text(data.message)}`;
    case 'alert.resolved':
      return `${text(data.system)}: ${text(data.alert)} resolved`;
    case 'incident.opened':
      return `incident ${entry.subject} opened (${text(data.severity)}) by ${entry.actor}: ${text(data.title)}`;
    case 'incident.linked':
      return `${entry.actor} linked ${text(data.kind)} ${text(data.ref)} to ${entry.subject}`;
    case 'incident.resolved':
      return `incident ${entry.subject} resolved by ${entry.actor}`;
    case 'system.frozen':
    case 'system.unfrozen':
      return `${entry.subject} ${entry.type === 'system.frozen' ? 'frozen' : 'unfrozen'} by ${entry.actor}: ${text(data.reason)}`;
    case 'github.review':
      return `GitHub Actions run ${text(data.runId)} of ${text(data.repository)} (${text(data.environment)}): ${data.state === 'pending' ? 'status report' : text(data.state)} sent, GitHub answered ${text(data.status)}`;
    case 'gitlab.approval':
      return `GitLab deployment ${text(data.deploymentId)} of ${text(data.project)} (${text(data.environment)}): ${data.state === 'pending' ? 'status comment' : text(data.state)} sent, GitLab answered ${text(data.status)}`;
    default:
      return `${entry.type} ${entry.subject} by ${entry.actor}`;
  }
}
