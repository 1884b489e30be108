import { ArbiterError } from '../core/errors.js';
import { type ActorRef, systemRef, userRef } from './actor-ref.js';
import type { Role } from './records.js';

/** Who is calling, from their token. Agents act as their System; humans as their user name (normal form). */
export interface Principal {
  tokenId: string;
  role: Role;
  systemId?: string;
  user?: string;
  groups: string[];
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
