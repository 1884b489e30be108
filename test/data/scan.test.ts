import { describe, expect, it } from 'vitest';
import { PersonalDataScan, redact, scanText } from '../../src/data/index.js';

const kinds = (text: string) => scanText(text).map((match) => match.scheme ?? match.kind);

describe('scanText', () => {
  it('finds each kind of personal data and secret in free text', () => {
    expect(kinds('write to jane.doe@example.com')).toEqual(['email']);
    expect(kinds('call +49 30 1234567 or (030) 1234567')).toEqual(['phone', 'phone']);
    expect(kinds('paid with 4111 1111 1111 1111')).toEqual(['payment-card']);
    expect(kinds('to DE89 3704 0044 0532 0130 00')).toEqual(['iban']);
    expect(kinds('DNI 12345678Z, codice RSSMRA85T10A562S')).toEqual(['es-dni', 'it-codice-fiscale']);
    expect(kinds('from 192.168.1.20 and 2001:db8::1')).toEqual(['ip-address', 'ip-address']);
    expect(kinds('AKIAIOSFODNN7EXAMPLE')).toEqual(['aws-access-key-id']);
    expect(kinds('-----BEGIN RSA PRIVATE KEY-----')).toEqual(['private-key']);
    expect(kinds('secret x9Kq2LmZ8vPw4RtY7uBn3HcJ6dFs')).toEqual(['high-entropy']);
  });

  it('leaves ordinary values alone: dates, amounts, versions, short codes, hex digests, words', () => {
    for (const text of [
      '2024-01-15',
      '1234.56',
      'version 1.2.3',
      'A11',
      'male single',
      '1169',
      '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29',
      'radio/tv',
      'the quick brown fox jumps over the lazy dog',
      '999.999.999.999',
      '4111111111111112',
    ])
      expect(kinds(text), text).toEqual([]);
  });

  it('matches one span once: a card number is not also a phone number', () => {
    expect(kinds('4111-1111-1111-1111')).toEqual(['payment-card']);
  });

  it('bounds the work on a hostile cell: 1 MB of near-matches is cut to the scanned length', () => {
    const hostile = `${'a'.repeat(64)}@`.repeat(20_000);
    expect(() => scanText(hostile)).not.toThrow();
    expect(scanText(`${'1 '.repeat(500_000)}`)).toEqual([]);
  });
});

describe('redaction', () => {
  it('keeps only what identifies no one', () => {
    expect(redact('email', 'jane.doe@example.com')).toBe('•••@•••.com');
    expect(redact('payment-card', '4111 1111 1111 1234')).toBe('•••• •••• •••• 1234');
    expect(redact('iban', 'DE89 3704 0044 0532 0130 00')).toBe('DE•• •••• •••• •••• •••• ••');
    expect(redact('secret', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 4)).toBe('ghp_••• (40 characters)');
    expect(redact('national-id', '12345678Z')).toBe('•••••••••');
  });
});

describe('PersonalDataScan', () => {
  it('counts cells per column and kind with their share, and keeps at most three redacted samples', () => {
    const scan = new PersonalDataScan();
    const emails = ['a.b@example.com', 'c.d@example.org', 'e.f@example.net', 'g.h@example.de'];
    for (const [i, email] of emails.entries())
      scan.addCell('contact', `mail ${email}`, { file: 'x.csv', row: i + 1 });
    for (let i = 0; i < 6; i++) scan.addCell('contact', 'none', { file: 'x.csv', row: 5 + i });
    const result = scan.columns().contact!;
    expect(result.values).toBe(10);
    expect(result.kinds.email).toMatchObject({ cells: 4, share: 0.4 });
    expect(result.kinds.email!.samples).toEqual([
      { file: 'x.csv', row: 1, redacted: '•••@•••.com' },
      { file: 'x.csv', row: 2, redacted: '•••@•••.org' },
      { file: 'x.csv', row: 3, redacted: '•••@•••.net' },
    ]);
  });

  it('reports digits-only identifiers only when most of the column is one', () => {
    const bsnColumn = new PersonalDataScan();
    for (const [i, value] of ['111222333', '123456782', '111222333', 'n/a'].entries())
      bsnColumn.addCell('ssn', value, { file: 'f', row: i + 1 });
    expect(bsnColumn.columns().ssn?.kinds['national-id']).toMatchObject({
      cells: 3,
      schemes: { 'nl-bsn': 3 },
    });

    // Random 9-digit order numbers: about one in eleven passes the 11-proof, far below half.
    const orders = new PersonalDataScan();
    for (let i = 0; i < 1000; i++)
      orders.addCell('order', String(100_000_000 + i * 7919), { file: 'f', row: i + 1 });
    expect(orders.columns().order).toBeUndefined();
  });

  it('reads integers as digits-only identifiers, not small numbers', () => {
    const scan = new PersonalDataScan();
    scan.addCell('id', 111222333, { file: 'f', row: 1 });
    scan.addCell('amount', 1169, { file: 'f', row: 1 });
    expect(Object.keys(scan.columns())).toEqual(['id']);
  });
});
