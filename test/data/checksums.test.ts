import { describe, expect, it } from 'vitest';
import {
  isDutchBsn,
  isFinnishHetu,
  isFrenchNir,
  isGermanTaxId,
  isIban,
  isItalianCodiceFiscale,
  isNhsNumber,
  isPaymentCardNumber,
  isPolishPesel,
  isSpanishDni,
  isSwedishPersonnummer,
  luhnValid,
  mod97,
} from '../../src/data/index.js';
import { seeded } from '../helpers/seeded.js';

/** Luhn straight from ISO/IEC 7812-1 Annex B: double every second digit from the right, sum the digits of the products. */
function naiveLuhn(digits: string): boolean {
  const reversed = [...digits].reverse().map(Number);
  const sum = reversed
    .map((digit, i) => (i % 2 === 1 ? digit * 2 : digit))
    .map((value) => [...String(value)].map(Number).reduce((a, b) => a + b, 0))
    .reduce((a, b) => a + b, 0);
  return sum % 10 === 0;
}

/** ISO 7064 MOD 97-10 with BigInt over the letters-as-numbers string. */
function naiveMod97(text: string): number {
  const numeric = [...text].map((ch) => (/[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch)).join('');
  return Number(BigInt(numeric) % 97n);
}

describe('Luhn and payment cards', () => {
  it('accepts the test numbers card schemes publish and rejects one changed digit', () => {
    for (const card of [
      '4111111111111111',
      '5555555555554444',
      '378282246310005',
      '6011111111111117',
      '3530111333300000',
    ])
      expect(isPaymentCardNumber(card), card).toBe(true);
    expect(isPaymentCardNumber('4111111111111112')).toBe(false); // wrong check digit
    expect(isPaymentCardNumber('9111111111111111')).toBe(false); // Luhn-valid? no scheme uses prefix 9
    expect(luhnValid('79927398713')).toBe(true); // the classic worked example
    expect(luhnValid('79927398710')).toBe(false);
  });

  it('agrees with the textbook Luhn on 5,000 random digit strings', () => {
    const next = seeded(7);
    for (let i = 0; i < 5000; i++) {
      const length = 2 + Math.floor(next() * 18);
      const digits = Array.from({ length }, () => Math.floor(next() * 10)).join('');
      expect(luhnValid(digits), digits).toBe(naiveLuhn(digits));
    }
  });
});

describe('IBAN mod 97', () => {
  it('accepts valid IBANs with or without spaces and rejects transpositions and wrong lengths', () => {
    expect(isIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isIban('DE89370400440532013000')).toBe(true);
    expect(isIban('de89 3704 0044 0532 0130 00')).toBe(true);
    expect(isIban('DE89370400440532013001')).toBe(false); // last digit changed
    expect(isIban('DE98370400440532013000')).toBe(false); // check digits swapped
    expect(isIban('DE8937040044053201300')).toBe(false); // one character short for Germany
    expect(isIban('XX89370400440532013000')).toBe(false); // no such country
  });

  it('computes MOD 97-10 like BigInt arithmetic on 2,000 random alphanumeric strings', () => {
    const next = seeded(11);
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    for (let i = 0; i < 2000; i++) {
      const text = Array.from(
        { length: 1 + Math.floor(next() * 34) },
        () => alphabet[Math.floor(next() * 36)],
      ).join('');
      expect(mod97(text), text).toBe(naiveMod97(text));
    }
  });
});

describe('national identifiers with check digits', () => {
  // Each example is the one the issuing authority or its Wikipedia article publishes; the mutation
  // changes one digit or the check character.
  const cases: [string, (text: string) => boolean, string, string][] = [
    ['Spanish DNI', isSpanishDni, '12345678Z', '12345678A'],
    ['Spanish NIE', isSpanishDni, 'X1234567L', 'X1234567M'],
    ['French NIR', isFrenchNir, '2 55 08 14 168 025 38', '2 55 08 14 168 025 39'],
    ['Italian codice fiscale', isItalianCodiceFiscale, 'RSSMRA85T10A562S', 'RSSMRA85T10A562T'],
    ['Finnish HETU', isFinnishHetu, '131052-308T', '131052-308U'],
    ['Swedish personnummer', isSwedishPersonnummer, '811218-9876', '811218-9875'],
    ['Dutch BSN', isDutchBsn, '111222333', '111222334'],
    ['German Steuer-ID', isGermanTaxId, '86095742719', '86095742718'],
    ['UK NHS number', isNhsNumber, '9434765919', '9434765918'],
    ['Polish PESEL', isPolishPesel, '44051401359', '44051401358'],
  ];
  for (const [name, valid, example, mutated] of cases)
    it(`${name}: ${example} is valid, ${mutated} is not`, () => {
      expect(valid(example)).toBe(true);
      expect(valid(mutated)).toBe(false);
    });

  it('the Dutch 11-proof equals its definition on random 9-digit numbers', () => {
    const next = seeded(3);
    for (let i = 0; i < 3000; i++) {
      const digits = String(Math.floor(next() * 1e9)).padStart(9, '0');
      const d = [...digits].map(Number);
      const sum = d.slice(0, 8).reduce((s, x, j) => s + x * (9 - j), 0) - d[8]!;
      expect(isDutchBsn(digits), digits).toBe(sum % 11 === 0 && digits !== '000000000');
    }
  });
});
