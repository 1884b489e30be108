import { describe, expect, it } from 'vitest';
import { isArbiterError } from '../../src/core/errors.js';
import {
  combinedDemand,
  isMultiFactor,
  maxProviderGroups,
  resolvePerson,
  type SignInRules,
  safeReturnPath,
  stepUpPath,
  stepUpShortfall,
} from '../../src/identity/sign-in.js';

const rules: SignInRules = {
  issuer: 'https://idp.example.com',
  groupsClaim: 'groups',
  groupMapping: [
    { idpGroup: 'sre-team', groups: ['sre'], role: 'approver' },
    { idpGroup: 'auditors', groups: [], role: 'auditor' },
    { idpGroup: 'arbiter-admins', groups: ['admins'], role: 'admin' },
    { idpGroup: 'dba', groups: ['dba'] },
  ],
};

function refusal(claims: Record<string, unknown>, with_: Partial<SignInRules> = {}): string {
  try {
    resolvePerson(claims, { ...rules, ...with_ });
  } catch (error) {
    if (isArbiterError(error, 'ARB_ERR_AUTH_SSO_REFUSED'))
      return (error.details as { reason: string }).reason;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('resolvePerson: one person, one id', () => {
  it('a verified email is the id, in normal form (NFKC, case-folded, trimmed)', () => {
    const person = resolvePerson(
      { sub: 's-1', email: ' ＡＬＩＣＥ@Example.COM ', email_verified: true, groups: ['sre-team'] },
      rules,
    );
    expect(person).toMatchObject({
      user: 'alice@example.com',
      email: 'alice@example.com',
      role: 'approver',
      groups: ['sre'],
    });
  });

  it('an unverified email is not an identity: issuer|subject is (subjects keep their case)', () => {
    const person = resolvePerson(
      { sub: 'AbC', email: 'alice@example.com', email_verified: false, groups: ['sre-team'] },
      rules,
    );
    expect(person.user).toBe('https://idp.example.com|AbC');
    expect(person.email).toBeUndefined();
  });

  it('groups map to Arbiter groups and the highest role; a group without a role adds groups only', () => {
    const person = resolvePerson({ sub: 's', groups: ['dba', 'auditors', 'sre-team', 'unmapped'] }, rules);
    expect([person.role, person.groups]).toEqual(['approver', ['dba', 'sre']]);
    expect(resolvePerson({ sub: 's', groups: ['sre-team', 'arbiter-admins'] }, rules).role).toBe('admin');
    expect(resolvePerson({ sub: 's', groups: 'auditors' }, rules).role).toBe('auditor');
  });

  it('deny by default: no role, a domain outside the list, unusable claims', () => {
    expect(refusal({ sub: 's', groups: ['dba'] })).toBe('no-role');
    expect(refusal({ sub: 's' })).toBe('no-role');
    const domains = { allowedEmailDomains: ['example.com'] };
    expect(
      refusal({ sub: 's', email: 'x@evil.example', email_verified: true, groups: ['sre-team'] }, domains),
    ).toBe('email-domain');
    expect(
      refusal({ sub: 's', email: 'x@example.com', email_verified: false, groups: ['sre-team'] }, domains),
    ).toBe('email-domain');
    expect(
      refusal({ sub: 's', email: 'x@sub.example.com', email_verified: true, groups: ['sre-team'] }, domains),
    ).toBe('email-domain');
    expect(
      resolvePerson(
        { sub: 's', email: 'x@example.com', email_verified: true, groups: ['sre-team'] },
        { ...rules, ...domains },
      ).user,
    ).toBe('x@example.com');
    expect(refusal({ groups: ['sre-team'] })).toBe('claims');
    expect(refusal({ sub: 42, groups: ['sre-team'] })).toBe('claims');
    expect(refusal({ sub: 's', groups: { admin: true } })).toBe('claims');
    expect(refusal({ sub: 's', groups: ['sre-team', 7] })).toBe('claims');
    expect(
      refusal({ sub: 's', groups: Array.from({ length: maxProviderGroups + 1 }, (_, i) => `g${i}`) }),
    ).toBe('claims');
    expect(refusal({ sub: 's', name: 'x'.repeat(10_000), groups: ['sre-team'] })).toBe('claims');
    expect(refusal({ sub: 's', email: 'a b@example.com', email_verified: true, groups: ['sre-team'] })).toBe(
      'email',
    );
  });

  it('keeps amr, acr and auth_time; drops what is not a string method', () => {
    const person = resolvePerson(
      { sub: 's', groups: ['sre-team'], amr: ['pwd', 3, 'otp'], acr: 'mfa', auth_time: 1_700_000_000 },
      rules,
    );
    expect([person.amr, person.acr, person.authTime]).toEqual([['pwd', 'otp'], 'mfa', 1_700_000_000]);
  });
});

describe('safeReturnPath: no open redirect', () => {
  it('keeps dashboard paths with their query and fragment', () => {
    expect(safeReturnPath(undefined)).toBe('/');
    expect(safeReturnPath('/decisions/dec_1?x=1#votes')).toBe('/decisions/dec_1?x=1#votes');
    expect(safeReturnPath('/approvals')).toBe('/approvals');
  });
  it('refuses anything that leaves the origin or lands on the API', () => {
    for (const hostile of [
      'https://evil.example',
      '//evil.example',
      '///evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      'evil.example',
      'javascript:alert(1)',
      '/ok\nx',
      '/ok\u0000',
      '/auth/login',
      '/v1/me',
      `/${'a'.repeat(2_048)}`,
    ])
      expect(safeReturnPath(hostile), hostile).toBeUndefined();
  });
});

describe('step-up', () => {
  const now = 1_800_000_000_000;
  const context = { nowMs: now, mfaAcrValues: ['urn:mfa'] };
  const fresh = { amr: ['pwd', 'otp'], authTime: now / 1000 - 60 };

  it('is met by a second factor in amr or a configured acr, and a recent enough sign-in', () => {
    expect(isMultiFactor({ amr: ['pwd'] }, [])).toBe(false);
    expect(isMultiFactor({ amr: ['pwd', 'hwk'] }, [])).toBe(true);
    expect(isMultiFactor({ amr: ['pwd'], acr: 'urn:mfa' }, ['urn:mfa'])).toBe(true);
    expect(stepUpShortfall({ mfa: true, maxAuthAgeMs: 15 * 60_000 }, fresh, context)).toBeUndefined();
  });

  it('names what falls short', () => {
    const demand = { mfa: true, maxAuthAgeMs: 15 * 60_000 };
    expect(stepUpShortfall(demand, undefined, context)?.reason).toBe('no-session');
    expect(stepUpShortfall(demand, { amr: ['pwd'], authTime: now / 1000 }, context)?.reason).toBe('mfa');
    expect(stepUpShortfall(demand, { ...fresh, authTime: now / 1000 - 16 * 60 }, context)?.reason).toBe(
      'auth-age',
    );
    expect(stepUpShortfall(demand, { amr: ['otp'] }, context)?.reason).toBe('auth-age');
    expect(stepUpShortfall({ mfa: false }, undefined, context)).toBeUndefined();
  });

  it('combines requirements into the strongest demand and links to a fresh login', () => {
    const demand = combinedDemand([
      { maxAuthAgeMs: 3_600_000 },
      { assurance: 'mfa', maxAuthAgeMs: 900_000 },
      {},
    ]);
    expect(demand).toEqual({ mfa: true, maxAuthAgeMs: 900_000 });
    expect(stepUpPath('/decisions/dec_1', demand)).toBe(
      '/auth/login?return=%2Fdecisions%2Fdec_1&step_up=mfa&max_age=900',
    );
    expect(stepUpPath('/decisions/dec_1', { mfa: true })).toBe(
      '/auth/login?return=%2Fdecisions%2Fdec_1&step_up=mfa&max_age=0',
    );
    expect(
      safeReturnPath(
        new URLSearchParams(stepUpPath('/decisions/dec_1', demand).split('?')[1]).get('return')!,
      ),
    ).toBe('/decisions/dec_1');
  });
});
