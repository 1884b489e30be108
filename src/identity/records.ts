/**
 * Bearer tokens as the stores keep them, and the ports that read and write them (implemented by
 * `store/`). Times are ISO 8601 UTC strings (`Date#toISOString`), which sort correctly as text.
 */

export const roles = ['agent', 'approver', 'auditor', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface TokenRow {
  id: string;
  /** SHA-256 hex of the token; the token itself is never stored. */
  hash: string;
  role: Role;
  systemId?: string;
  userName?: string;
  groups: string[];
  label?: string;
  createdAt: string;
  revokedAt?: string;
}

export interface TokenReads {
  tokenByHash(hash: string): Promise<TokenRow | undefined>;
  listTokens(): Promise<TokenRow[]>;
}

export interface TokenWrites {
  insertToken(row: TokenRow): Promise<void>;
  revokeToken(id: string, at: string): Promise<boolean>;
}
