import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/identity/principal.js';
import { mayGovern, ownerTeamOf, systemSpecOf } from '../../src/registry/systems.js';
import { systemRow } from '../helpers/system-row.js';

describe('registered Systems', () => {
  it('store the document spec as JSON, defaulting the error budget environments and dropping empty fields', () => {
    expect(
      systemSpecOf({
        owner: { team: 'platform', person: 'dana@example.com' },
        onCall: { team: 'platform-oncall' },
        autonomy: 2,
        riskTier: 'high',
        description: '',
        errorBudget: { maxFailures: 2, window: '7d' },
      } as never),
    ).toEqual({
      owner: { team: 'platform', person: 'dana@example.com' },
      onCall: { team: 'platform-oncall' },
      autonomy: 2,
      riskTier: 'high',
      errorBudget: { maxFailures: 2, window: '7d', environments: ['prod', 'production'] },
    });
  });

  it('name their owner team, when they have one', () => {
    expect(ownerTeamOf(systemRow({ owner: { team: 'platform' } }))).toBe('platform');
    expect(ownerTeamOf(systemRow({}))).toBeUndefined();
    expect(ownerTeamOf(undefined)).toBeUndefined();
  });

  it('are governed by admins and by approvers of the owner team only', () => {
    const system = systemRow({ owner: { team: 'platform' } });
    const as = (role: Principal['role'], groups: string[]): Principal => ({ tokenId: 't', role, groups });
    expect(mayGovern(as('admin', []), system)).toBe(true);
    expect(mayGovern(as('approver', ['platform']), system)).toBe(true);
    expect(mayGovern(as('approver', ['sre']), system)).toBe(false);
    expect(mayGovern(as('auditor', ['platform']), system)).toBe(false);
    expect(mayGovern(as('agent', ['platform']), system)).toBe(false);
    // Without an owner team only admins govern.
    expect(mayGovern(as('approver', ['platform']), systemRow({}))).toBe(false);
  });
});
