// Types of generated.js, for the tests that reuse the benchmark's bundles.
export function generatedBundleFiles(layout: 'all' | 'spread'): { path: string; text: string }[];
export function generatedRequests(layout: 'all' | 'spread'): {
  action: string;
  resource: { type: string; id: string; environment: string };
  change: { linesChanged: number; files: number };
  confidence: number;
  rationale: string;
  context: { labels: string[] };
}[];
export function generatedCedarPolicies(layout: 'all' | 'spread'): Record<string, string>;
export function generatedCedarCall(policySetId: string, request: unknown, actor: unknown): unknown;
