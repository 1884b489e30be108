import { ArbiterError } from '../core/errors.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { LedgerAppend } from '../ledger/entry.js';
import { type ActorRef, systemRef, userRef } from './actor-ref.js';
import type { Role } from './records.js';
import type { AuthContext } from './sign-in.js';

/**
 * Who is calling, from their token or their sign-in session. Agents act as their System; humans as
 * their user name (normal form).
 */
export interface Principal {
  /** The token's id; for a signed-in person, `session:<session id>`. */
  tokenId: string;
  role: Role;
  systemId?: string;
  user?: string;
  groups: string[];
  /** How a signed-in person authenticated; undefined for a bearer token. */
  auth?: AuthContext;
}

/**
 * The typed identity storage and ledger entries name: `system:ID` for agents, `user:NAME` for
 * humans (a human token without a user name, which token creation refuses, acts as its token id).
 */
export function actorRef(principal: Principal): ActorRef {
  return principal.role === 'agent'
    ? systemRef(principal.systemId!)
    : userRef(principal.user ?? principal.tokenId);
}

/** The bare name policies see as `actor.id`: the System id for agents, the user name for humans. */
export function principalName(principal: Principal): string {
  return principal.role === 'agent' ? principal.systemId! : (principal.user ?? principal.tokenId);
}

/** Throws 403 unless the principal has one of the roles. */
export function requireRole(principal: Principal, ...allowed: Role[]): void {
  if (!allowed.includes(principal.role)) {
    throw new ArbiterError(
      'ARB_ERR_FORBIDDEN',
      `this needs one of the roles ${allowed.join(', ')}; the token has role ${principal.role}`,
      {
        details: { role: principal.role, allowed },
      },
    );
  }
}

/**
 * What a ledger entry records of how a signed-in person authenticated when they acted: issuer,
 * groups as resolved at that moment, amr/acr/auth_time in the entry; subject, email and name as
 * personal fields (erasable, `arbiter ledger erase`). Nothing for a bearer token, whose issue the
 * ledger already records.
 */
export function authenticationRecord(principal: Principal): {
  data: JsonObject;
  personal: Record<string, JsonValue>;
} {
  const auth = principal.auth;
  if (!auth) return { data: {}, personal: {} };
  return {
    data: {
      authentication: {
        via: auth.via,
        issuer: auth.issuer,
        groups: principal.groups,
        amr: auth.amr,
        ...(auth.acr !== undefined ? { acr: auth.acr } : {}),
        ...(auth.authTime !== undefined ? { authTime: auth.authTime } : {}),
      },
    },
    personal: {
      subject: auth.subject,
      ...(auth.email !== undefined ? { email: auth.email } : {}),
      ...(auth.name !== undefined ? { displayName: auth.name } : {}),
    },
  };
}

/** `append` with the authentication of a signed-in `principal` added (unchanged for a bearer token). */
export function withAuthentication(principal: Principal | undefined, append: LedgerAppend): LedgerAppend {
  if (!principal?.auth) return append;
  const { data, personal } = authenticationRecord(principal);
  return { ...append, data: { ...append.data, ...data }, personal: { ...append.personal, ...personal } };
}
