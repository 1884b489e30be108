/**
 * Text patterns of personal data that need no checksum: e-mail addresses, phone numbers and IP
 * addresses. Regular expressions here have bounded repetition only, so a hostile cell cannot make
 * them backtrack for long; cells are also cut to `scan.ts`'s length limit before matching.
 */

/** An e-mail address (RFC 5321 sizes: local part ≤ 64, domain ≤ 253, a dotted domain with a TLD of letters). */
export const emailPattern = /[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b/g;

/**
 * A phone number: international (`+` or `00`, country code, 7–14 more digits with optional
 * separators) or national with an area code in parentheses or a leading 0 and separators
 * (`(030) 1234567`, `030-123 4567`, `555-123-4567`). Bare digit runs are not phone numbers here:
 * they are indistinguishable from amounts and identifiers.
 */
export const phonePattern =
  /(?:(?<![\w+])(?:\+|00)[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){2,5}|\(0?[0-9]{2,5}\) ?[0-9]{3,4}[ -]?[0-9]{2,5}|\b0[0-9]{2,4}[ /-][0-9]{3,4}[ -]?[0-9]{2,5}|\b[2-9][0-9]{2}-[0-9]{3}-[0-9]{4})\b/g;

/** Whether a phone candidate has a believable number of digits (7–15, E.164's maximum). */
export function phoneDigitsPlausible(candidate: string): boolean {
  const digits = candidate.replace(/[^0-9]/g, '').length;
  return digits >= 7 && digits <= 15;
}

/** A dotted IPv4 address candidate; `isIpv4` checks the octets. */
export const ipv4Pattern = /(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![\w.])/g;

/** Whether four dotted decimals are an IPv4 address (each octet 0–255, no leading zeros). */
export function isIpv4(candidate: string): boolean {
  const parts = candidate.split('.');
  return (
    parts.length === 4 && parts.every((part) => /^(?:0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255)
  );
}

/** An IPv6 address candidate: hex groups and colons, at least two colons. */
export const ipv6Pattern = /(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])/g;

/** Whether a candidate is an IPv6 address (RFC 4291 text form without an embedded IPv4 part). */
export function isIpv6(candidate: string): boolean {
  const halves = candidate.split('::');
  if (halves.length > 2) return false;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...head, ...tail];
  if (!all.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return false;
  // Without "::" all eight groups are written; with it, fewer (and at least one digit somewhere).
  return halves.length === 2 ? all.length <= 7 && all.length >= 1 : all.length === 8;
}
