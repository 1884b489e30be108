/**
 * Every link Arbiter prints for a person — in notifications, `arbiter exec`, MCP answers, the
 * coding-agent hooks and the provider integrations — is built here, so each one matches a route
 * the dashboard serves (web/src/app.tsx; the browser test follows them).
 */

/** What a dashboard page shows. */
export type DashboardTarget =
  | { kind: 'decision'; id: string }
  | { kind: 'incident'; id: string }
  | { kind: 'system'; id: string }
  | { kind: 'gate-run'; id: string };

const sections: Record<DashboardTarget['kind'], string> = {
  decision: 'decisions',
  incident: 'incidents',
  system: 'systems',
  'gate-run': 'gates',
};

/** The dashboard path of `target` (`/decisions/dec_…`); ids are URL-encoded. */
export function dashboardPath(target: DashboardTarget): string {
  return `/${sections[target.kind]}/${encodeURIComponent(target.id)}`;
}

/** The full link: `base` (the dashboard's URL, trailing slashes ignored) and the target's path. */
export function dashboardLink(base: string, target: DashboardTarget): string {
  return `${base.replace(/\/+$/, '')}${dashboardPath(target)}`;
}
