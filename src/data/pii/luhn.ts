/**
 * The Luhn (mod 10) check of ISO/IEC 7812-1, Annex B: from the rightmost digit, double every second
 * digit (subtracting 9 when the double exceeds 9); the number is valid when the sum is a multiple
 * of 10. Payment card numbers and Swedish personal numbers carry it.
 */

/** Whether a string of decimal digits passes the Luhn check; false for anything but digits. */
export function luhnValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Whether 13–19 digits are a payment card number: an issuer prefix that a card scheme uses
 * (ISO/IEC 7812 IIN ranges of Visa, Mastercard, American Express, Discover, JCB, Diners, UnionPay,
 * Maestro) with that scheme's length, and a valid Luhn check digit. The prefix requirement keeps
 * arbitrary Luhn-valid numbers (one in ten) from counting.
 */
export function isPaymentCardNumber(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19 || !/^[0-9]+$/.test(digits)) return false;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  const six = Number(digits.slice(0, 6));
  const scheme =
    (digits[0] === '4' && (n === 13 || n === 16 || n === 19)) || // Visa
    (((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) && n === 16) || // Mastercard
    ((two === 34 || two === 37) && n === 15) || // American Express
    ((four === 6011 || two === 65 || (six >= 644000 && six <= 649999)) && n >= 16) || // Discover
    (four >= 3528 && four <= 3589 && n >= 16) || // JCB
    ((two === 36 || two === 38 || two === 39 || (six >= 300000 && six <= 305999)) && n >= 14) || // Diners
    (two === 62 && n >= 16) || // UnionPay
    ((four === 5018 || four === 5020 || four === 5038 || four === 6304 || four === 6759) && n >= 12); // Maestro
  return scheme && luhnValid(digits);
}
