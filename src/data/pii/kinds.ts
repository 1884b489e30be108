/** The kinds of personal data and secrets `arbiter data check` detects, by the name findings use. */
export const personalDataKinds = [
  'email',
  'phone',
  'payment-card',
  'iban',
  'national-id',
  'ip-address',
  'secret',
] as const;

export type PersonalDataKind = (typeof personalDataKinds)[number];
