/**
 * Secrets in data: credentials with a recognisable format (the prefixes their issuers document,
 * which secret scanners such as gitleaks match too) and long high-entropy tokens. A finding names
 * the format, never the value.
 */

/** Credential formats by name; each pattern matches the whole credential. */
export const secretFormats: readonly { name: string; pattern: RegExp; prefix: number }[] = [
  { name: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, prefix: 4 },
  { name: 'github-token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,251}\b/g, prefix: 4 },
  { name: 'github-fine-grained-token', pattern: /\bgithub_pat_[A-Za-z0-9_]{60,120}\b/g, prefix: 11 },
  { name: 'gitlab-token', pattern: /\bglpat-[A-Za-z0-9_-]{20,64}\b/g, prefix: 6 },
  { name: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,120}\b/g, prefix: 5 },
  { name: 'stripe-secret-key', pattern: /\b[rs]k_live_[A-Za-z0-9]{20,99}\b/g, prefix: 8 },
  { name: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, prefix: 4 },
  { name: 'openai-api-key', pattern: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,200}\b/g, prefix: 3 },
  { name: 'arbiter-token', pattern: /\barb_[A-Za-z0-9_-]{20,100}\b/g, prefix: 4 },
  {
    name: 'json-web-token',
    pattern: /\beyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{8,1000}/g,
    prefix: 3,
  },
  { name: 'private-key', pattern: /-----BEGIN (?:[A-Z]{1,10} )?PRIVATE KEY-----/g, prefix: 0 },
];

/** A run of base64 or base64url characters long enough to be a generated secret. */
export const tokenPattern = /[A-Za-z0-9+/_-]{24,512}={0,2}/g;

/** Shannon entropy of a string in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/**
 * Whether a token looks generated rather than written: at least 24 characters mixing upper case,
 * lower case and digits with at least 4.0 bits of entropy per character (base64 approaches 6; an
 * English word run stays near 3.5). Hex strings are left alone: digests and ids in data are hex
 * far more often than secrets are.
 */
export function isHighEntropyToken(token: string): boolean {
  if (token.length < 24 || /^[0-9a-fA-F]+$/.test(token)) return false;
  if (!/[a-z]/.test(token) || !/[A-Z]/.test(token) || !/[0-9]/.test(token)) return false;
  return shannonEntropy(token) >= 4;
}
