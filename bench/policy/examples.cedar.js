// The example bundle's action policies (examples/policies) written in Cedar, for a like-for-like
// comparison. Cedar has permit and forbid only, so require_approval rules are forbids annotated
// @effect("require_approval"); the verdict maps Cedar's determining policies back to an effect.
// Cedar has no clock or floats in context: the request builder passes dayOfWeek/hour and decimals.
export const examplePolicies = {
  'autonomy-levels/observe-only':
    'forbid(principal, action, resource) when { principal has autonomy && principal.autonomy == 0 };',
  'autonomy-levels/suggest-only':
    '@effect("require_approval") forbid(principal, action, resource) when { principal has autonomy && principal.autonomy == 1 };',
  'prod-deploys/friday-freeze':
    'forbid(principal, action == Action::"deploy", resource) when { context.environment == "prod" && context.dayOfWeek == 5 && context.hour >= 15 };',
  'prod-deploys/needs-sre': `@effect("require_approval") forbid(principal, action == Action::"deploy", resource) when {
    context.environment == "prod" &&
    ((context has linesChanged && context.linesChanged > 500) || !(context has confidence) || context.confidence.lessThan(decimal("0.9")))
  };`,
  'prod-deploys/rationale-required':
    'forbid(principal, action == Action::"deploy", resource) when { context.environment == "prod" && principal.kind != "human" && context.rationaleLength < 10 };',
  'prod-deploys/small-confident-change':
    'permit(principal, action == Action::"deploy", resource) when { context.environment == "prod" };',
  'non-prod-deploys/allowed':
    'permit(principal, action == Action::"deploy", resource) when { ["dev", "staging"].contains(context.environment) };',
  'db-migrations/no-backup-no-destruction':
    'forbid(principal, action == Action::"db.migrate", resource) when { context.environment == "prod" && context.destructive && !context.backupTaken };',
  'db-migrations/destructive-needs-dba':
    '@effect("require_approval") forbid(principal, action == Action::"db.migrate", resource) when { context.destructive };',
  'db-migrations/prod-needs-dba':
    '@effect("require_approval") forbid(principal, action == Action::"db.migrate", resource) when { context.environment == "prod" };',
  'db-migrations/migrations-allowed': 'permit(principal, action == Action::"db.migrate", resource);',
  'rollbacks/acting-agents-roll-back':
    'permit(principal, action == Action::"rollback", resource) when { principal.kind == "human" || principal.autonomy >= 2 };',
  'rollbacks/rollback-of-unknown-version':
    'forbid(principal, action == Action::"rollback", resource) unless { context has toVersion };',
  'model-promotion/gate-must-pass':
    'forbid(principal, action == Action::"model.promote", resource) unless { context.gatePassed };',
  'model-promotion/high-risk-review': `@effect("require_approval") forbid(principal, action == Action::"model.promote", resource) when {
    context.environment == "prod" && principal.kind == "model" && principal.riskTier == "high"
  };`,
  'model-promotion/promotion-allowed':
    'permit(principal, action == Action::"model.promote", resource) when { context.gatePassed };',
};

/** Turns an Arbiter action request and actor into the equivalent Cedar authorization call. */
export function cedarCall(policySetId, request, actor, now) {
  const context = {
    environment: request.resource.environment ?? '',
    dayOfWeek: now.getUTCDay(),
    hour: now.getUTCHours(),
    rationaleLength: request.rationale?.length ?? 0,
    destructive: request.change?.destructive === true,
    backupTaken: request.change?.backupTaken === true,
    gatePassed: request.context?.gate?.passed === true,
  };
  if (typeof request.change?.linesChanged === 'number') context.linesChanged = request.change.linesChanged;
  if (typeof request.confidence === 'number')
    context.confidence = { __extn: { fn: 'decimal', arg: request.confidence.toFixed(4) } };
  if (request.change?.toVersion !== undefined) context.toVersion = String(request.change.toVersion);
  const principal = { type: actor.kind === 'human' ? 'Human' : 'Agent', id: actor.id };
  const attrs = { kind: actor.kind };
  if (actor.autonomy !== undefined) attrs.autonomy = actor.autonomy;
  if (actor.riskTier !== undefined) attrs.riskTier = actor.riskTier;
  return {
    principal,
    action: { type: 'Action', id: request.action },
    resource: { type: 'Resource', id: request.resource.id },
    context,
    preparsedPolicySetId: policySetId,
    entities: [{ uid: principal, attrs, parents: [] }],
  };
}

/** Maps a Cedar answer back to allow / require_approval / deny using the @effect annotations. */
export function cedarEffect(answer, approvalPolicies) {
  if (answer.type !== 'success') throw new Error(`cedar: ${JSON.stringify(answer.errors)}`);
  const { decision, diagnostics } = answer.response;
  if (decision === 'allow') return 'allow';
  if (diagnostics.reason.length === 0) return 'deny';
  return diagnostics.reason.every((id) => approvalPolicies.has(id)) ? 'require_approval' : 'deny';
}
