// bench/policy/rich-bundle.js: a bundle of the unusual paths of evaluateAction — bundle default
// approvals, variables (one failing), messages and failing message expressions, windows, step-up
// approvals on the same selectors in either order, rules that are not boolean or fail, and a shadow
// policy. Compared across builds by verdict-differential.js and with the reference implementation
// by test/policy/action-differential.test.ts.

const rule = (name, when, effect, extra = '') =>
  `    - name: ${name}\n      when: ${JSON.stringify(when)}\n      effect: ${effect}\n${extra}`;
const ap = (name, body) =>
  `apiVersion: arbiter/v1\nkind: ActionPolicy\nmetadata:\n  name: ${name}\nspec:\n${body}`;
export const richBundleFiles = [
  {
    path: 'b.yaml',
    text: 'apiVersion: arbiter/v1\nkind: Bundle\nmetadata: {name: b}\nspec:\n  defaults:\n    effect: require_approval\n    approval: {from: ["group:sre", "user:ann"], ttl: 30m, assurance: mfa}\n    executionWindow: 5m\n',
  },
  {
    path: 'vars.yaml',
    text: ap(
      'vars',
      `  variables:\n    - name: big\n      expression: request.change.linesChanged > 500\n    - name: risky\n      expression: request.context.risk == "high"\n    - name: both\n      expression: variables.big && variables.risky\n  rules:\n${[
        rule(
          'big',
          'variables.big',
          'require_approval',
          '      approval: {from: ["group:b", "group:a"], ttl: 2h}\n',
        ),
        rule('risky', 'variables.risky', 'deny', '      message: risky change\n'),
        rule('both', 'variables.both || request.confidence < 0.5', 'deny'),
        rule(
          'said',
          'request.confidence > 0.2',
          'allow',
          `      messageExpression: "'confidence ' + string(request.confidence)"\n      executionWindow: 10m\n`,
        ),
        rule(
          'bad-message',
          'true',
          'allow',
          '      message: fallback\n      messageExpression: request.context.msg\n',
        ),
      ].join('')}`,
    ),
  },
  {
    path: 'plain.yaml',
    text: ap(
      'plain',
      `  rules:\n${[
        rule(
          'same-paths-a',
          'request.change.linesChanged > 100',
          'require_approval',
          '      approval: {from: ["group:a", "group:b"], ttl: 1h, assurance: mfa}\n',
        ),
        rule(
          'same-paths-b',
          'request.change.linesChanged > 300',
          'require_approval',
          '      approval: {from: ["group:b", "group:a"], ttl: 30m, maxAuthAge: 15m}\n',
        ),
        rule(
          'same-paths-c',
          'request.change.linesChanged > 400',
          'require_approval',
          '      approval: {from: ["group:a", "group:b"], ttl: 30m, maxAuthAge: 15m}\n',
        ),
        rule('default-approval', 'request.change.linesChanged > 700', 'require_approval'),
        rule('not-bool', 'request.change.linesChanged', 'deny'),
        rule('broken-allow', 'request.nope.deeper > 1', 'allow'),
        rule(
          'labels',
          '"x" in request.context.labels || size(request.context.labels) > 3',
          'allow',
          '      executionWindow: 2m\n',
        ),
        rule('short-window', 'request.confidence > 0.9', 'allow', '      executionWindow: 2m\n'),
        rule('map', 'request.context.gate.passed == true && has(request.context.tool)', 'allow'),
        rule(
          'strs',
          'request.resource.id.startsWith("pay") && request.resource.environment.matches("^pr")',
          'require_approval',
          '      approval: {from: ["group:a"], ttl: 1h, count: 1}\n',
        ),
      ].join('')}`,
    ),
  },
  {
    path: 'shadow.yaml',
    text: ap(
      'shadow',
      `  mode: shadow\n  rules:\n${rule('strict', 'request.confidence < 0.99', 'deny')}${rule('ask', 'request.change.files > 2', 'require_approval', '      approval: {from: ["group:z"], ttl: 1h}\n')}`,
    ),
  },
];
