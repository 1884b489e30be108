// A generated bundle of 200 rules (20 policies × 10 rules) and the same rules in Cedar, in two
// layouts: `all` — every policy matches every request, so all 200 rules run on every decision (the
// worst case); `spread` — each policy matches one action and environment, as real bundles are
// organised, so a decision runs the 10 rules of its policy after checking 20 match filters.
const effectFor = (k) => (k === 0 ? 'deny' : k < 3 ? 'require_approval' : 'allow');

function celCondition(p, k) {
  const threshold = 100 + ((p * 37 + k * 53) % 900);
  switch (k % 4) {
    case 0:
      return `request.change.linesChanged > ${threshold} && request.resource.environment == "prod"`;
    case 1:
      return `request.confidence < 0.${50 + ((p + k) % 45)} || actor.autonomy < ${k % 3}`;
    case 2:
      return `request.resource.id == "svc-${(p * k) % 13}" && request.change.files >= ${k}`;
    default:
      return `"team-${p % 5}" in request.context.labels && request.change.linesChanged <= ${threshold}`;
  }
}

function cedarCondition(p, k) {
  const threshold = 100 + ((p * 37 + k * 53) % 900);
  switch (k % 4) {
    case 0:
      return `context.linesChanged > ${threshold} && context.environment == "prod"`;
    case 1:
      return `context.confidence.lessThan(decimal("0.${50 + ((p + k) % 45)}")) || principal.autonomy < ${k % 3}`;
    case 2:
      return `resource == Resource::"svc-${(p * k) % 13}" && context.files >= ${k}`;
    default:
      return `context.labels.contains("team-${p % 5}") && context.linesChanged <= ${threshold}`;
  }
}

const policyAction = (layout, p) => (layout === 'all' ? 'deploy' : `svc.action-${p % 10}`);
const policyEnvironment = (p) => (p < 10 ? 'prod' : 'staging');

export function generatedBundleFiles(layout) {
  const files = [];
  for (let p = 0; p < 20; p++) {
    const rules = [];
    for (let k = 0; k < 10; k++) {
      const effect = effectFor(k);
      rules.push(
        `    - name: rule-${k}\n      when: ${JSON.stringify(celCondition(p, k))}\n      effect: ${effect}\n` +
          (effect === 'require_approval' ? `      approval: {from: ["group:g${p % 4}"], ttl: 1h}\n` : ''),
      );
    }
    files.push({
      path: `generated/policy-${p}.yaml`,
      text: `apiVersion: arbiter/v1\nkind: ActionPolicy\nmetadata:\n  name: policy-${p}\nspec:\n  match:\n    actions: [${policyAction(layout, p)}]\n${layout === 'all' ? '' : `    environments: [${policyEnvironment(p)}]\n`}  rules:\n${rules.join('')}`,
    });
  }
  return files;
}

export function generatedCedarPolicies(layout) {
  const policies = {};
  for (let p = 0; p < 20; p++) {
    for (let k = 0; k < 10; k++) {
      const effect = effectFor(k);
      const head = effect === 'allow' ? 'permit' : 'forbid';
      const annotation = effect === 'require_approval' ? '@effect("require_approval") ' : '';
      const scope = layout === 'all' ? '' : `context.environment == "${policyEnvironment(p)}" && `;
      policies[`policy-${p}/rule-${k}`] =
        `${annotation}${head}(principal, action == Action::"${policyAction(layout, p)}", resource) when { ${scope}${cedarCondition(p, k)} };`;
    }
  }
  return policies;
}

export function generatedRequests(layout) {
  const requests = [];
  for (let i = 0; i < 8; i++) {
    requests.push({
      action: layout === 'all' ? 'deploy' : `svc.action-${(i * 3) % 10}`,
      resource: { type: 'service', id: `svc-${i}`, environment: i % 3 === 0 ? 'staging' : 'prod' },
      change: { linesChanged: 50 + i * 130, files: i },
      confidence: 0.5 + i * 0.06,
      rationale: 'generated benchmark request',
      context: { labels: [`team-${i % 5}`, 'bench'] },
    });
  }
  return requests;
}

export function generatedCedarCall(policySetId, request, actor) {
  const principal = { type: 'Agent', id: actor.id };
  return {
    principal,
    action: { type: 'Action', id: request.action },
    resource: { type: 'Resource', id: request.resource.id },
    context: {
      environment: request.resource.environment,
      linesChanged: request.change.linesChanged,
      files: request.change.files,
      confidence: { __extn: { fn: 'decimal', arg: request.confidence.toFixed(4) } },
      labels: request.context.labels,
    },
    preparsedPolicySetId: policySetId,
    entities: [{ uid: principal, attrs: { autonomy: actor.autonomy, kind: actor.kind }, parents: [] }],
  };
}
