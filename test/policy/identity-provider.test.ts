import { describe, expect, it } from 'vitest';
import { actionPolicy, bundleOf, problemsOf } from '../helpers/bundle.js';

const provider = (spec: string, name = 'corp') => `apiVersion: arbiter/v1
kind: IdentityProvider
metadata: { name: ${name} }
spec:
${spec}`;

const valid = `  displayName: Corp SSO
  issuer: https://corp.okta.com
  clientId: arbiter
  clientSecretEnv: ARBITER_OIDC_SECRET
  redirectUrl: https://arbiter.example.com/auth/callback
  allowedEmailDomains: [Example.com]
  groupMapping:
    - { idpGroup: sre-team, groups: [sre], role: approver }
    - { idpGroup: dba, groups: [dba] }
`;

describe('kind: IdentityProvider', () => {
  it('loads with its defaults: groups claim, session length, scopes', () => {
    const bundle = bundleOf({ 'idp.yaml': provider(valid) });
    expect(bundle.identityProvider).toMatchObject({
      name: 'corp',
      displayName: 'Corp SSO',
      issuer: 'https://corp.okta.com',
      clientSecretEnv: 'ARBITER_OIDC_SECRET',
      groupsClaim: 'groups',
      sessionTtl: '8h',
      sessionTtlMs: 8 * 3_600_000,
      allowedEmailDomains: ['example.com'],
      scopes: [],
      groupMapping: [
        { idpGroup: 'sre-team', groups: ['sre'], role: 'approver' },
        { idpGroup: 'dba', groups: ['dba'] },
      ],
    });
    expect(bundle.counts.IdentityProvider).toBe(1);
    expect(bundleOf({}).identityProvider).toBeUndefined();
  });

  it('takes secrets only by environment variable name', () => {
    const inline = problemsOf({ 'idp.yaml': provider(`${valid}  clientSecret: hunter2\n`) });
    expect(inline.map((p) => `${p.file}:${p.line} ${p.message}`).join('\n')).toMatch(
      /idp\.yaml:\d+ .*clientSecret/,
    );
    const lower = problemsOf({ 'idp.yaml': provider(valid.replace('ARBITER_OIDC_SECRET', 'my-secret')) });
    expect(lower[0]!.message).toMatch(/clientSecretEnv/);
  });

  it('names each problem with file:line', () => {
    const broken = valid
      .replace('https://corp.okta.com', 'http://corp.okta.com')
      .replace('https://arbiter.example.com/auth/callback', 'https://arbiter.example.com/callback')
      .replace('[Example.com]', '[not_a_domain]')
      .replace('{ idpGroup: dba, groups: [dba] }', '{ idpGroup: dba }');
    const problems = problemsOf({ 'idp.yaml': provider(`${broken}  sessionTtl: 30d\n`) });
    const messages = problems.map((p) => `${p.line}: ${p.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^6: issuer "http:\/\/corp.okta.com" must be https:\/\//),
      expect.stringMatching(/^9: redirectUrl .* must end in \/auth\/callback/),
      expect.stringMatching(/^10: "not_a_domain" is not a domain name/),
      expect.stringMatching(/^13: group mapping for "dba" gives neither groups nor a role/),
      expect.stringMatching(/^14: sessionTtl "30d" is not a duration between 1m and 7d/),
    ]);
  });

  it.each(['30s', '59s', '0m', '168h1m'])('refuses sessionTtl %s: outside 1m to 7d', (ttl) => {
    const messages = problemsOf({ 'idp.yaml': provider(`${valid}  sessionTtl: ${ttl}\n`) }).map(
      (p) => p.message,
    );
    expect(messages).toEqual([expect.stringMatching(/is not a duration between 1m and 7d/)]);
  });

  it.each([
    ['1m', 60_000],
    ['7d', 7 * 86_400_000],
  ])('accepts sessionTtl %s, the bounds themselves', (ttl, ms) => {
    expect(
      bundleOf({ 'idp.yaml': provider(`${valid}  sessionTtl: ${ttl}\n`) }).identityProvider?.sessionTtlMs,
    ).toBe(ms);
  });

  it('allows plain http only on loopback, and one provider per repository', () => {
    const loopback = valid
      .replace('https://corp.okta.com', 'http://127.0.0.1:9000')
      .replace('https://arbiter.example.com', 'http://localhost:8080');
    expect(bundleOf({ 'idp.yaml': provider(loopback) }).identityProvider?.issuer).toBe(
      'http://127.0.0.1:9000',
    );
    const two = problemsOf({ 'a.yaml': provider(valid, 'a'), 'b.yaml': provider(valid, 'b') });
    expect(two.map((p) => p.message)).toEqual([
      expect.stringMatching(/a second IdentityProvider \("b"\).*"a"/),
    ]);
  });
});

describe('approval step-up: assurance and maxAuthAge', () => {
  const rule = (approval: string) =>
    actionPolicy(
      'p',
      `  rules:\n    - name: r\n      when: "true"\n      effect: require_approval\n      approval: ${approval}\n`,
    );

  it('compile into the requirement', () => {
    const bundle = bundleOf({ 'p.yaml': rule('{ from: ["group:sre"], assurance: mfa, maxAuthAge: 15m }') });
    expect(bundle.actionPolicies[0]!.rules[0]!.approval).toMatchObject({
      assurance: 'mfa',
      maxAuthAge: '15m',
      maxAuthAgeMs: 900_000,
    });
  });

  it('are checked', () => {
    expect(problemsOf({ 'p.yaml': rule('{ assurance: mfa, maxAuthAge: soon }') })[0]!.message).toMatch(
      /maxAuthAge "soon" is not a duration/,
    );
    expect(problemsOf({ 'p.yaml': rule('{ assurance: phone }') }).length).toBeGreaterThan(0);
  });
});
