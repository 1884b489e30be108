import { mod97 } from './iban.js';
import { luhnValid } from './luhn.js';

/**
 * National identification numbers that carry a check digit, each validated by its published
 * algorithm. Identifiers without a checksum (a US SSN) are not detected: their format alone
 * matches too many ordinary numbers.
 *
 * Two strengths: *distinctive* schemes have letters, separators or a date that ordinary numbers
 * lack, so one match counts. *Digits-only* schemes (a Dutch BSN is any 9 digits passing a mod-11
 * test, which one random number in eleven does) only count when the whole cell is the number, and
 * `scan.ts` reports them only when most of a column's values match.
 */

export type NationalIdScheme =
  | 'es-dni'
  | 'fr-nir'
  | 'it-codice-fiscale'
  | 'fi-hetu'
  | 'se-personnummer'
  | 'nl-bsn'
  | 'de-steuer-id'
  | 'uk-nhs'
  | 'pl-pesel';

const digitsOf = (text: string) => Array.from(text, (ch) => ch.charCodeAt(0) - 48);

/** Spain: DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter); the letter is the number mod 23. */
export function isSpanishDni(candidate: string): boolean {
  const match = /^([XYZ]?)([0-9]{7,8})-?([A-Z])$/.exec(candidate.toUpperCase());
  if (!match) return false;
  const [, prefix, digits, letter] = match;
  if ((prefix === '' && digits!.length !== 8) || (prefix !== '' && digits!.length !== 7)) return false;
  const number = Number(`${prefix === '' ? '' : 'XYZ'.indexOf(prefix!)}${digits}`);
  return 'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23] === letter;
}

/** France: NIR (social security number), 13 characters and a key of 97 − (number mod 97); Corsica 2A/2B count as 19/18. */
export function isFrenchNir(candidate: string): boolean {
  const nir = candidate.replace(/ /g, '').toUpperCase();
  if (!/^[1-478][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{8}$/.test(nir)) return false;
  const body = nir.slice(0, 13).replace('2A', '19').replace('2B', '18');
  return 97 - mod97(body) === Number(nir.slice(13));
}

const cfOdd = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/** Italy: codice fiscale, 15 characters and a check letter from the odd/even position tables. */
export function isItalianCodiceFiscale(candidate: string): boolean {
  const code = candidate.toUpperCase();
  if (!/^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/.test(code))
    return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const ch = code.charCodeAt(i);
    const index = ch >= 65 ? ch - 65 : ch - 48; // digits and letters share the tables' positions
    sum += i % 2 === 0 ? cfOdd[index]! : index;
  }
  return String.fromCharCode(65 + (sum % 26)) === code[15];
}

/** Finland: henkilötunnus DDMMYY, century sign, individual number, and a check character (mod 31). */
export function isFinnishHetu(candidate: string): boolean {
  const match = /^([0-9]{6})[-+A-FU-Y]([0-9]{3})([0-9A-Y])$/.exec(candidate.toUpperCase());
  if (!match || !plausibleDate(match[1]!, 'ddmmyy')) return false;
  return '0123456789ABCDEFHJKLMNPRSTUVWXY'[Number(match[1]! + match[2]!) % 31] === match[3];
}

/** Sweden: personnummer YYMMDD-NNNC (or + over 100 years), Luhn over the ten digits. */
export function isSwedishPersonnummer(candidate: string): boolean {
  const match = /^([0-9]{6})[-+]([0-9]{4})$/.exec(candidate);
  if (!match) return false;
  // Coordination numbers add 60 to the day.
  const date = match[1]!;
  const day = Number(date.slice(4));
  const adjusted = day > 60 ? `${date.slice(0, 4)}${String(day - 60).padStart(2, '0')}` : date;
  return plausibleDate(adjusted, 'yymmdd') && luhnValid(match[1]! + match[2]!);
}

/** Netherlands: BSN, 9 digits with the "11-proof": 9a + 8b + … + 2h − i is a multiple of 11. */
export function isDutchBsn(digits: string): boolean {
  if (!/^[0-9]{9}$/.test(digits) || /^0+$/.test(digits)) return false;
  const d = digitsOf(digits);
  let sum = -d[8]!;
  for (let i = 0; i < 8; i++) sum += d[i]! * (9 - i);
  return sum % 11 === 0;
}

/**
 * Germany: Steuerliche Identifikationsnummer, 11 digits, no leading zero, among the first ten one
 * digit occurs two or three times and the others at most once, check digit by ISO 7064 MOD 11,10.
 */
export function isGermanTaxId(digits: string): boolean {
  if (!/^[1-9][0-9]{10}$/.test(digits)) return false;
  const d = digitsOf(digits);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 10; i++) counts[d[i]!]++;
  const repeated = counts.filter((count) => count > 1);
  if (repeated.length !== 1 || repeated[0] > 3) return false;
  let product = 10;
  for (let i = 0; i < 10; i++) {
    let sum = (d[i]! + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = (11 - product) % 10;
  return check === d[10];
}

/** United Kingdom: NHS number, 10 digits; weights 10 … 2, check digit 11 − (sum mod 11), 10 is never valid. */
export function isNhsNumber(digits: string): boolean {
  if (!/^[0-9]{10}$/.test(digits)) return false;
  const d = digitsOf(digits);
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += d[i]! * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === d[9];
}

/** Poland: PESEL, 11 digits beginning with a date (the month carries the century), weights 1-3-7-9. */
export function isPolishPesel(digits: string): boolean {
  if (!/^[0-9]{11}$/.test(digits)) return false;
  const d = digitsOf(digits);
  const month = (d[2]! * 10 + d[3]!) % 20;
  const day = d[4]! * 10 + d[5]!;
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  const weights = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += d[i]! * weights[i]!;
  return (10 - (sum % 10)) % 10 === d[10];
}

function plausibleDate(six: string, order: 'ddmmyy' | 'yymmdd'): boolean {
  const day = Number(order === 'ddmmyy' ? six.slice(0, 2) : six.slice(4, 6));
  const month = Number(six.slice(2, 4));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** The distinctive scheme a token is a valid identifier of, if any. */
export function distinctiveNationalId(token: string): NationalIdScheme | undefined {
  if (isSpanishDni(token)) return 'es-dni';
  if (isFrenchNir(token)) return 'fr-nir';
  if (isItalianCodiceFiscale(token)) return 'it-codice-fiscale';
  if (isFinnishHetu(token)) return 'fi-hetu';
  if (isSwedishPersonnummer(token)) return 'se-personnummer';
  return undefined;
}

/** The digits-only scheme a whole cell (spaces and dashes removed) is a valid identifier of, if any. */
export function digitsOnlyNationalId(digits: string): NationalIdScheme | undefined {
  if (isDutchBsn(digits)) return 'nl-bsn';
  if (isNhsNumber(digits)) return 'uk-nhs';
  if (isGermanTaxId(digits)) return 'de-steuer-id';
  if (isPolishPesel(digits)) return 'pl-pesel';
  return undefined;
}
