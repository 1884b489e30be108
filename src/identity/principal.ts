import { ArbiterError } from '../core/errors.js';
import type { Role } from './records.js';

/** Who is calling, from their token. Agents act as their System; humans as their user name. */
export interface Principal {
  tokenId: string;
  role: Role;
  systemId?: string;
  user?: string;
  groups: string[];
}

/** The identity decisions and ledger entries name: the System id for agents, the user name for humans. */
export function actorId(principal: Principal): string {
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
