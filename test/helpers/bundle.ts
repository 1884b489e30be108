import { isArbiterError } from '../../src/core/errors.js';
import { compileBundle, type LoadProblem, type PolicyBundle } from '../../src/policy/index.js';

/** Compiles a bundle from in-memory files: `{ 'policies/a.yaml': 'apiVersion: …' }`. */
export function bundleOf(files: Record<string, string>): PolicyBundle {
  return compileBundle(Object.entries(files).map(([path, text]) => ({ path, text })));
}

/** The problems a bundle is rejected with; fails the test if it loads. */
export function problemsOf(files: Record<string, string>): LoadProblem[] {
  try {
    bundleOf(files);
  } catch (error) {
    if (isArbiterError(error, 'ARB_ERR_POLICY_BUNDLE_INVALID'))
      return (error.details as { problems: LoadProblem[] }).problems;
    throw error;
  }
  throw new Error('expected the bundle to be rejected, but it loaded');
}

/** An ActionPolicy document with the given rules YAML (indented under `rules:`). */
export function actionPolicy(name: string, body: string): string {
  return `apiVersion: arbiter/v1\nkind: ActionPolicy\nmetadata:\n  name: ${name}\nspec:\n${body}`;
}

/**
 * A System document of an agent that deploys for the platform team (autonomy 3, limited risk):
 * `metadata` is the flow mapping after `metadata:`, `deploys` the spec line saying through what
 * (`github: {…}`, `gitlab: {…}`).
 */
export function deployingAgent(metadata: string, deploys: string): string {
  return `apiVersion: arbiter/v1
kind: System
metadata: ${metadata}
spec:
  kind: agent
  owner: { team: platform, person: dana@example.com }
  onCall: { team: platform-oncall }
  autonomy: 3
  riskTier: limited
  ${deploys}
`;
}
