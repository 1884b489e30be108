import { ArbiterError } from '../core/errors.js';

/**
 * User names, one spelling per person. A name is compared only in its normal form — Unicode NFKC,
 * case-folded, trimmed — so `plat1`, `Plat1`, `ＰＬＡＴ１` and `"plat1 "` are one user, never
 * three approvers of one decision. Token creation uses this now; sign-in (SSO) reuses it.
 */

/** The normal form's charset: ASCII letters, digits and `. _ @ + -`, starting and ending alphanumeric. */
const userNamePattern = /^[a-z0-9](?:[a-z0-9._@+-]{0,126}[a-z0-9])?$/;

/** Longest accepted user name, in characters of its normal form. */
export const maxUserNameLength = 128;

/**
 * The comparison form of a name: NFKC (compatibility characters become their plain letters),
 * full case folding (upper- then lower-casing also folds `ß` to `ss`), surrounding whitespace
 * removed. Total: any string has a folded form, valid or not.
 */
export function foldUserName(raw: string): string {
  return raw.normalize('NFKC').trim().toUpperCase().toLowerCase().normalize('NFKC');
}

/** Why a name is refused, or undefined when its normal form is a valid user name. */
export function userNameProblem(raw: string): string | undefined {
  const folded = foldUserName(raw);
  if (folded.length === 0) return 'a user name may not be empty';
  if (folded.length > maxUserNameLength) return `a user name has at most ${maxUserNameLength} characters`;
  if (!userNamePattern.test(folded))
    return 'a user name is letters a-z, digits and . _ @ + - (after case folding), starting and ending with a letter or digit';
  return undefined;
}

/**
 * The normal form of a user name given at token creation or sign-in; throws
 * ARB_ERR_IDENTITY_NAME_INVALID when it is not a valid name. Requires nothing of `raw`.
 */
export function normaliseUserName(raw: string): string {
  const problem = userNameProblem(raw);
  if (problem) {
    throw new ArbiterError('ARB_ERR_IDENTITY_NAME_INVALID', `${JSON.stringify(raw)}: ${problem}`, {
      details: { reason: 'invalid' },
    });
  }
  return foldUserName(raw);
}
