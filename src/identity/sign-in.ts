import { ArbiterError } from '../core/errors.js';
import { foldUserName, userNameProblem } from './names.js';
import type { Role } from './records.js';

/**
 * Single sign-on, as pure functions: who a person is from the claims of a verified ID token,
 * which Arbiter groups and role their provider groups give them, and whether their sign-in is
 * strong and recent enough for a step-up approval. The OpenID exchange itself (discovery, PKCE,
 * signature checks) is the adapter's, through openid-client.
 */

/** How a person authenticated, as recorded with every action they take (docs/identity.md). */
export interface AuthContext {
  /** `sso` for a dashboard session, `cli` for a session made by `arbiter login`. */
  via: 'sso' | 'cli';
  issuer: string;
  subject: string;
  email?: string;
  name?: string;
  /** Authentication methods (RFC 8176), e.g. `pwd`, `otp`. */
  amr: string[];
  acr?: string;
  /** When the person authenticated at the provider, seconds since the epoch (`auth_time`). */
  authTime?: number;
  /** The session's id: revoking it (logout) ends the session everywhere. */
  sessionId: string;
}

/** What the provider configuration says about mapping, as sign-in needs it. */
export interface SignInRules {
  issuer: string;
  groupsClaim: string;
  groupMapping: readonly {
    idpGroup: string;
    groups: readonly string[];
    role?: 'approver' | 'auditor' | 'admin';
  }[];
  allowedEmailDomains?: readonly string[];
}

/** A person as sign-in resolves them: one id, the groups and role as mapped at this moment. */
export interface SignedInPerson {
  /** The user name, normal form: the email when verified, else `<issuer>|<subject>`. */
  user: string;
  role: Exclude<Role, 'agent'>;
  groups: string[];
  /** The provider groups the mapping was applied to. */
  idpGroups: string[];
  subject: string;
  email?: string;
  name?: string;
  amr: string[];
  acr?: string;
  authTime?: number;
}

/** Most provider groups one person may carry; more is refused rather than truncated. */
export const maxProviderGroups = 500;
const maxClaimLength = 512;

const roleRank: Readonly<Record<'auditor' | 'approver' | 'admin', number>> = {
  auditor: 1,
  approver: 2,
  admin: 3,
};

/** RFC 8176 methods that are a second factor (or say multi-factor outright). */
export const multiFactorMethods: readonly string[] = [
  'mfa',
  'otp',
  'hwk',
  'swk',
  'sms',
  'sc',
  'fpt',
  'face',
  'iris',
  'retina',
];

function refused(reason: string, message: string): ArbiterError<'ARB_ERR_AUTH_SSO_REFUSED'> {
  return new ArbiterError('ARB_ERR_AUTH_SSO_REFUSED', message, { details: { reason } });
}

function claimText(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > maxClaimLength)
    throw refused(
      'claims',
      `the ID token's "${name}" claim is not a string of at most ${maxClaimLength} characters`,
    );
  return value;
}

/** The user name of a person a provider identifies only by issuer and subject (subjects are case-sensitive). */
export function federatedUserName(issuer: string, subject: string): string {
  return `${issuer}|${subject.normalize('NFKC')}`;
}

/**
 * The person a verified ID token names, with groups and role mapped. Refuses (ARB_ERR_AUTH_SSO_REFUSED)
 * a token without `sub`, an email outside the allowed domains, an unusable groups claim, and a
 * person whose groups map to no role — deny by default. `claims` must already be verified.
 */
export function resolvePerson(claims: Readonly<Record<string, unknown>>, rules: SignInRules): SignedInPerson {
  const subject = claimText(claims, 'sub');
  if (!subject) throw refused('claims', 'the ID token has no subject (sub)');
  const rawEmail = claimText(claims, 'email');
  const verified = claims.email_verified === true && rawEmail !== undefined;
  const email = verified ? foldUserName(rawEmail) : undefined;
  if (email !== undefined && userNameProblem(email))
    throw refused(
      'email',
      `the verified email ${JSON.stringify(rawEmail)} cannot be an Arbiter user name: ${userNameProblem(email)}`,
    );
  if (rules.allowedEmailDomains && rules.allowedEmailDomains.length > 0) {
    const domain = email?.slice(email.lastIndexOf('@') + 1);
    if (!email || !domain || !rules.allowedEmailDomains.includes(domain))
      throw refused(
        'email-domain',
        `sign-in needs a verified email address at ${rules.allowedEmailDomains.join(', ')}${email ? `; ${email} is not` : '; the provider asserted none'}`,
      );
  }
  const idpGroups = providerGroups(claims[rules.groupsClaim], rules.groupsClaim);
  const groups = new Set<string>();
  let role: SignedInPerson['role'] | undefined;
  for (const entry of rules.groupMapping) {
    if (!idpGroups.includes(entry.idpGroup)) continue;
    for (const group of entry.groups) groups.add(group);
    if (entry.role && (!role || roleRank[entry.role] > roleRank[role])) role = entry.role;
  }
  if (!role)
    throw refused(
      'no-role',
      `none of your provider groups (${idpGroups.join(', ') || 'none'}) is mapped to an Arbiter role; ask an admin to add one to the IdentityProvider's groupMapping`,
    );
  const name = claimText(claims, 'name');
  const acr = claimText(claims, 'acr');
  const amr = Array.isArray(claims.amr)
    ? claims.amr.filter((method): method is string => typeof method === 'string').slice(0, 20)
    : [];
  const authTime =
    typeof claims.auth_time === 'number' && Number.isFinite(claims.auth_time) ? claims.auth_time : undefined;
  return {
    user: email ?? federatedUserName(rules.issuer, subject),
    role,
    groups: [...groups].sort(),
    idpGroups,
    subject,
    ...(email ? { email } : {}),
    ...(name ? { name } : {}),
    amr,
    ...(acr ? { acr } : {}),
    ...(authTime !== undefined ? { authTime } : {}),
  };
}

function providerGroups(value: unknown, claim: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length > maxProviderGroups)
    throw refused('claims', `the "${claim}" claim is not a list of at most ${maxProviderGroups} group names`);
  if (!list.every((group) => typeof group === 'string' && group.length > 0 && group.length <= maxClaimLength))
    throw refused('claims', `the "${claim}" claim holds something other than group names`);
  return [...new Set(list as string[])];
}

/** What a step-up approval asks of the approver's sign-in. */
export interface StepUpDemand {
  mfa: boolean;
  /** Undefined: any age. */
  maxAuthAgeMs?: number;
}

/** Why a sign-in does not meet a step-up demand, or undefined when it does. */
export function stepUpShortfall(
  demand: StepUpDemand,
  auth: Pick<AuthContext, 'amr' | 'acr' | 'authTime'> | undefined,
  context: { nowMs: number; mfaAcrValues: readonly string[] },
): { reason: 'no-session' | 'mfa' | 'auth-age'; message: string } | undefined {
  if (!demand.mfa && demand.maxAuthAgeMs === undefined) return undefined;
  if (!auth)
    return {
      reason: 'no-session',
      message: 'this approval needs a signed-in person (single sign-on), not a bearer token',
    };
  if (demand.mfa && !isMultiFactor(auth, context.mfaAcrValues))
    return {
      reason: 'mfa',
      message: `this approval needs a multi-factor sign-in; yours used ${auth.amr.join(', ') || 'an unknown method'}`,
    };
  if (demand.maxAuthAgeMs !== undefined) {
    if (auth.authTime === undefined)
      return {
        reason: 'auth-age',
        message: 'this approval needs a recent sign-in and the provider did not say when you signed in',
      };
    const ageMs = context.nowMs - auth.authTime * 1000;
    if (ageMs > demand.maxAuthAgeMs)
      return {
        reason: 'auth-age',
        message: `this approval needs a sign-in at most ${Math.round(demand.maxAuthAgeMs / 60_000)} min old; yours is ${Math.round(ageMs / 60_000)} min old`,
      };
  }
  return undefined;
}

/** True when the sign-in used a second factor (amr, RFC 8176) or an acr the provider configuration counts as one. */
export function isMultiFactor(
  auth: Pick<AuthContext, 'amr' | 'acr'>,
  mfaAcrValues: readonly string[],
): boolean {
  return (
    auth.amr.some((method) => multiFactorMethods.includes(method)) ||
    (auth.acr !== undefined && mfaAcrValues.includes(auth.acr))
  );
}

/**
 * The sign-in link a refused step-up vote names: a fresh login (`max_age`, and MFA when asked), then
 * back to `returnTo`.
 */
export function stepUpPath(returnTo: string, demand: StepUpDemand): string {
  const query = new URLSearchParams({ return: returnTo });
  if (demand.mfa) query.set('step_up', 'mfa');
  // The requirement's age, or 0 (authenticate now) when only MFA is asked for.
  query.set(
    'max_age',
    String(demand.maxAuthAgeMs === undefined ? 0 : Math.floor(demand.maxAuthAgeMs / 1000)),
  );
  return `/auth/login?${query.toString()}`;
}

/** The strongest demand of several requirements: MFA if any asks, the shortest age. */
export function combinedDemand(
  requirements: readonly { assurance?: 'mfa'; maxAuthAgeMs?: number }[],
): StepUpDemand {
  const ages = requirements
    .map((requirement) => requirement.maxAuthAgeMs)
    .filter((age): age is number => age !== undefined);
  return {
    mfa: requirements.some((requirement) => requirement.assurance === 'mfa'),
    ...(ages.length > 0 ? { maxAuthAgeMs: Math.min(...ages) } : {}),
  };
}

const maxReturnPathLength = 2_048;

/**
 * The dashboard path to land on after signing in, or undefined when `raw` is not one: only a path
 * of this origin (`/decisions/dec_1?x=y`), never a URL, a scheme-relative `//host`, a backslash
 * (`/\host`, which browsers read as `//host`), or control characters — no open redirect.
 */
export function safeReturnPath(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return '/';
  if (raw.length > maxReturnPathLength || !raw.startsWith('/') || raw.startsWith('//')) return undefined;
  for (const char of raw) {
    const code = char.charCodeAt(0);
    if (char === '\\' || code < 0x20 || code === 0x7f) return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(raw, 'http://arbiter.invalid');
  } catch {
    return undefined;
  }
  if (parsed.origin !== 'http://arbiter.invalid') return undefined;
  // API and sign-in routes are not places to land: only the dashboard's pages.
  if (/^\/(auth|v1)(\/|$)/.test(parsed.pathname)) return undefined;
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}
