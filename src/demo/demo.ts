import type { Arbiter } from '../app/arbiter.js';

/** The demo's people and agents: who gets a token, with which role and groups. */
export const demoIdentities = [
  { name: 'deploy-bot', role: 'agent', systemId: 'deploy-bot' },
  { name: 'migrate-bot', role: 'agent', systemId: 'migrate-bot' },
  { name: 'credit-scoring', role: 'agent', systemId: 'credit-scoring' },
  { name: 'alice', role: 'approver', user: 'alice', groups: ['sre'] },
  { name: 'bob', role: 'approver', user: 'bob', groups: ['sre', 'platform'] },
  { name: 'carol', role: 'approver', user: 'carol', groups: ['dba', 'data-platform'] },
  { name: 'dave', role: 'approver', user: 'dave', groups: ['ml-review', 'risk-ml'] },
  { name: 'erin', role: 'auditor', user: 'erin' },
  { name: 'root', role: 'admin', user: 'root' },
] as const;

export interface DemoToken {
  name: string;
  role: string;
  detail: string;
  token: string;
}

/**
 * Issues fresh demo tokens (revoking the previous demo's), so `npm start` always prints tokens
 * that work: only hashes are stored, so old ones cannot be shown again.
 */
export async function issueDemoTokens(arbiter: Arbiter): Promise<DemoToken[]> {
  for (const row of await arbiter.tokens.list()) {
    if (row.label === 'demo' && !row.revokedAt) await arbiter.tokens.revoke(row.id, 'demo');
  }
  const issued: DemoToken[] = [];
  for (const identity of demoIdentities) {
    const { token } = await arbiter.tokens.create(
      {
        role: identity.role,
        ...('systemId' in identity ? { systemId: identity.systemId } : {}),
        ...('user' in identity ? { user: identity.user } : {}),
        ...('groups' in identity ? { groups: [...identity.groups] } : {}),
        label: 'demo',
      },
      'demo',
    );
    const detail =
      'systemId' in identity
        ? `System ${identity.systemId}`
        : 'groups' in identity
          ? `groups ${identity.groups.join(', ')}`
          : '';
    issued.push({ name: identity.name, role: identity.role, detail, token });
  }
  return issued;
}
