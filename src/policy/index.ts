/**
 * arbiter/policy — decision boundaries as code. Compile a governance bundle of YAML documents
 * (their CEL once), and evaluate action requests, release gates and monitoring windows with
 * explanations a person can read. Reading a directory from disk is Node-only: arbiter/policy/node.
 */
export type {
  ActionMatch,
  ApprovalRequirement,
  BundleDefaults,
  CompiledActionPolicy,
  CompiledActionRule,
  CompiledGateCheck,
  CompiledGatePolicy,
  CompiledMonitorAlert,
  CompiledMonitorPolicy,
  PolicyBundle,
  SourceRef,
  SystemRecord,
} from './bundle.js';
export { systemView } from './bundle.js';
export type { CompiledExpression, ExpressionScope } from './cel.js';
export { compileExpression, isCompileFailure } from './cel.js';
export type { ActorKind, Effect, RiskTier } from './documents.js';
export { effects } from './documents.js';
export type {
  ActionEvaluationInput,
  Actor,
  NotFired,
  Reason,
  Verdict,
  VerdictApproval,
} from './evaluate-action.js';
export {
  actorFromSystem,
  evaluateAction,
  mergeApprovals,
  needsRecentActivity,
  needsTrackRecord,
  strongerEffect,
} from './evaluate-action.js';
export type { GateCheckResult, GateEvaluation, GateEvaluationInput, GateFinding } from './evaluate-gate.js';
export { evaluateGate, gatePassed } from './evaluate-gate.js';
export type { AlertCondition, MonitorEvaluationInput } from './evaluate-monitor.js';
export { evaluateMonitorWindow } from './evaluate-monitor.js';
export { explainGate, explainVerdict } from './explain.js';
export type { YamlLimits } from './limits.js';
export { celLimits, defaultYamlLimits } from './limits.js';
export type { PolicyLoadOptions } from './load.js';
export { compileBundle } from './load.js';
export type { BundleLoadError, LoadProblem } from './problems.js';
export { formatProblem } from './problems.js';
export type { ActionRequest } from './request.js';
export { ActionRequestSchema, ActorSchema } from './request.js';
export type { PolicyTestResult, PolicyTestSuite } from './testing.js';
export { compilePolicyTests, defaultTestNow, runPolicyTests } from './testing.js';
export type { SourceFile } from './yaml-source.js';
