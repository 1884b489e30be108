import { generateKeyPairSync, type KeyExportOptions, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { githubAppPrivateKey, httpUrl, maxPollSeconds, pollSeconds } from '../../src/cli/flag-values.js';

/** Flag values `arbiter serve` refuses at start (test/e2e/*-serve.test.ts runs the binary with a few). */

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  throw new Error('not refused');
};

describe('httpUrl', () => {
  it.each([
    'api.github.com',
    'ftp://api.github.com',
    'https://api github.com',
    'https://',
    'http:/missing-slash',
    'javascript:alert(1)',
    '',
  ])('refuses %j', (value) => {
    expect(refusal(() => httpUrl('--gitlab-url', value))).toEqual({
      code: 'ARB_ERR_USAGE',
      message: `--gitlab-url ${value} is not an http(s) URL`,
    });
  });

  it('takes http and https URLs with a path', () => {
    expect(httpUrl('--github-api-url', 'https://ghe.example.com/api/v3').pathname).toBe('/api/v3');
    expect(httpUrl('--gitlab-url', 'http://127.0.0.1:8929').port).toBe('8929');
  });
});

describe('pollSeconds', () => {
  it.each([
    '-5',
    'soon',
    '1.5',
    '',
    ' 30',
    '30 ',
    '1e3',
    '0x10',
    '+30',
    String(maxPollSeconds + 1),
    '99999999999',
  ])('refuses %j', (value) => {
    expect(refusal(() => pollSeconds('--gitlab-poll-interval', value))).toEqual({
      code: 'ARB_ERR_USAGE',
      message: `--gitlab-poll-interval ${value} must be a whole number of seconds from 1 to ${maxPollSeconds} (0: off)`,
    });
  });

  it('takes 0 (off), 1 and a day', () => {
    expect(['0', '1', '30', String(maxPollSeconds)].map((value) => pollSeconds('--x', value))).toEqual([
      0,
      1,
      30,
      maxPollSeconds,
    ]);
  });
});

describe('githubAppPrivateKey', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = (key: KeyObject, type: 'pkcs1' | 'pkcs8' | 'spki') =>
    key.export({ type, format: 'pem' } as KeyExportOptions<'pem'>) as string;

  it('refuses what is not a PEM private key, naming the file', () => {
    for (const text of [
      'this is the webhook secret, pasted into the wrong file\n',
      '',
      pem(rsa.publicKey, 'spki'),
      pem(rsa.privateKey, 'pkcs1')
        .replace(/[A-Za-z]{8}\n/, 'AAAAAAAA\n')
        .slice(0, 200),
    ]) {
      const refused = refusal(() => githubAppPrivateKey('app.pem', text));
      expect(refused.code).toBe('ARB_ERR_INPUT_INVALID');
      expect(refused.message).toMatch(/^--github-private-key app\.pem is not a PEM private key \(/);
    }
  });

  it('refuses a private key of another type: GitHub Apps sign with RS256', () => {
    for (const [type, key] of [
      ['ec', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
      ['ed25519', generateKeyPairSync('ed25519').privateKey],
    ] as const)
      expect(refusal(() => githubAppPrivateKey('app.pem', pem(key, 'pkcs8')))).toEqual({
        code: 'ARB_ERR_INPUT_INVALID',
        message: `--github-private-key app.pem is an ${type} key; GitHub Apps sign with RSA (RS256)`,
      });
  });

  it('takes an RSA key as GitHub generates it (PKCS#1) and as PKCS#8', () => {
    expect(githubAppPrivateKey('app.pem', pem(rsa.privateKey, 'pkcs1')).asymmetricKeyType).toBe('rsa');
    expect(githubAppPrivateKey('app.pem', pem(rsa.privateKey, 'pkcs8')).asymmetricKeyType).toBe('rsa');
  });

  it('never repeats the key in its message', () => {
    const truncated = pem(rsa.privateKey, 'pkcs1').slice(0, 300);
    const refused = refusal(() => githubAppPrivateKey('app.pem', truncated));
    expect(refused.message).not.toContain(truncated.split('\n')[1]!);
  });
});
