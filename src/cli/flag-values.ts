import { createPrivateKey, type KeyObject } from 'node:crypto';
import { ArbiterError } from '../core/errors.js';

/**
 * Values of `arbiter serve` flags, checked before anything starts: a wrong one is refused with a
 * message naming the flag (exit 2), never found out at the first request that needs it.
 */

/**
 * An http(s) URL with a host, written out in full (`https://`: the URL parser would also take
 * `https:host`), or a usage error naming the flag.
 */
export function httpUrl(flag: string, value: string): URL {
  const url = /^https?:\/\//.test(value) && URL.canParse(value) ? new URL(value) : undefined;
  if (!url?.hostname) throw new ArbiterError('ARB_ERR_USAGE', `${flag} ${value} is not an http(s) URL`);
  return url;
}

/** The longest poll interval, in seconds (a day; far below the largest timer Node keeps). */
export const maxPollSeconds = 86_400;

/**
 * A poll interval in whole seconds, 0 meaning off: digits only (no sign, exponent, hex, fraction
 * or spaces), at most `maxPollSeconds`.
 */
export function pollSeconds(flag: string, value: string): number {
  const seconds = /^\d{1,5}$/.test(value) ? Number(value) : -1;
  if (seconds < 0 || seconds > maxPollSeconds)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `${flag} ${value} must be a whole number of seconds from 1 to ${maxPollSeconds} (0: off)`,
    );
  return seconds;
}

/**
 * Refuses a key GitHub would never accept: an App signs its JWTs with RS256, so the file must hold
 * an RSA private key (not the public half, not a pasted secret). Node's message names no key material.
 */
export function githubAppPrivateKey(file: string, pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `--github-private-key ${file} is not a PEM private key (${(error as Error).message}); use the key GitHub generated for the App`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `--github-private-key ${file} is an ${key.asymmetricKeyType} key; GitHub Apps sign with RSA (RS256)`,
    );
  return key;
}
