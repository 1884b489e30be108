import type { PersonalDataKind } from './kinds.js';

/**
 * Redacted samples: enough to recognise the kind and find the row, never the value. Letters and
 * digits become "•" except what identifies no one — an e-mail's top-level domain, an IBAN's
 * country, a card's last four digits (what PCI DSS allows receipts to print), a credential
 * format's documented prefix. Secrets keep only the prefix and their length.
 */

const hidden = '•';
const maskAlphanumerics = (text: string) => text.replace(/[A-Za-z0-9]/g, hidden);

/** The redacted form of a detected value. `prefix` is how many leading characters of a secret name its format. */
export function redact(kind: PersonalDataKind, value: string, prefix = 0): string {
  switch (kind) {
    case 'email': {
      const tld = /\.([A-Za-z]{2,24})$/.exec(value)?.[1] ?? '';
      return `${hidden.repeat(3)}@${hidden.repeat(3)}.${tld.toLowerCase()}`;
    }
    case 'payment-card': {
      const total = value.replace(/[^0-9]/g, '').length;
      let seen = 0;
      return value.replace(/[0-9]/g, (digit) => (++seen > total - 4 ? digit : hidden));
    }
    case 'iban':
      return `${value.slice(0, 2).toUpperCase()}${maskAlphanumerics(value.slice(2))}`;
    case 'secret':
      return `${value.slice(0, prefix)}${hidden.repeat(3)} (${value.length} characters)`;
    default:
      return maskAlphanumerics(value);
  }
}
