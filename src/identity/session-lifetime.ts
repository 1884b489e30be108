/**
 * The longest a dashboard session may last, whoever sets it: an IdentityProvider's `sessionTtl`
 * is refused above it (policy/load.ts), no session cookie is issued for longer (app/access/
 * sessions.ts), and sign-out records are kept exactly that long, since after it every session they
 * could refuse has expired by itself.
 *
 * It imports nothing: policy/ may build on this one file of identity/ (test/helpers/layering.ts).
 */
export const maxSessionTtlMs = 7 * 86_400_000;
