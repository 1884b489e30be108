/**
 * The red-team suite: hostile-input, authorization and fail-closed checks that run over HTTP
 * against any running Arbiter (or anything speaking its API), with the evidence of each.
 */

export type {
  Check,
  CheckArea,
  CheckResult,
  CheckStatus,
  Evidence,
  ProbeActionRequest,
  StateAuditRun,
} from './check.js';
export { formatJson, formatMarkdown, formatText } from './report.js';
export type { RedteamOptions, RedteamReport } from './runner.js';
export { allChecks, runRedteam } from './runner.js';
