import { isIban } from './iban.js';
import type { PersonalDataKind } from './kinds.js';
import { isPaymentCardNumber } from './luhn.js';
import { digitsOnlyNationalId, distinctiveNationalId } from './national-ids.js';
import {
  emailPattern,
  ipv4Pattern,
  ipv6Pattern,
  isIpv4,
  isIpv6,
  phoneDigitsPlausible,
  phonePattern,
} from './patterns.js';
import { redact } from './redact.js';
import { isHighEntropyToken, secretFormats, tokenPattern } from './secrets.js';

/**
 * Finding personal data in cells. `scanCell` lists what one text holds; `PersonalDataScan`
 * accumulates per column over streamed rows, keeping counts and at most `maxSamples` redacted
 * samples per column and kind — never a raw value.
 */

/** Only the first this many characters of a cell are scanned, which bounds the cost of a hostile cell. */
export const maxScannedLength = 4096;
/** Redacted samples kept per column and kind. */
export const maxSamples = 3;
/** Digits-only identifiers count for a column when at least this share of its values are one. */
export const digitsOnlyMinShare = 0.5;

export interface CellMatch {
  kind: PersonalDataKind;
  /** The identifier scheme or credential format (`es-dni`, `github-token`), when the kind has several. */
  scheme?: string;
  redacted: string;
}

const ibanPattern = /\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b/g;
const cardPattern = /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g;
const distinctiveIdPattern =
  /\b(?:[XYZ]?[0-9]{7,8}-?[A-Z]|[1-478] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}|[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]|[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Y]|[0-9]{6}[-+][0-9]{4})\b/g;

/** Replaces a matched span with spaces so that later, weaker patterns do not match inside it. */
const blank = (text: string, index: number, length: number) =>
  text.slice(0, index) + ' '.repeat(length) + text.slice(index + length);

function collect(
  text: string,
  pattern: RegExp,
  accept: (candidate: string) => CellMatch | undefined,
  out: CellMatch[],
): string {
  let rest = text;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const found = accept(match[0]);
    if (found) {
      out.push(found);
      rest = blank(rest, match.index, match[0].length);
    }
    if (match[0].length === 0) pattern.lastIndex++;
  }
  return rest;
}

/** How many ASCII digits a text holds. */
function digitCount(text: string): number {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) digits++;
  }
  return digits;
}

/**
 * Personal data and secrets in one text, strongest patterns first: credentials, e-mail, IBAN,
 * card numbers, national identifiers, IP addresses, phone numbers, high-entropy tokens.
 */
export function scanText(cell: string): CellMatch[] {
  const out: CellMatch[] = [];
  // Nothing detected here is shorter than 6 characters ("a@b.co").
  if (cell.length < 6) return out;
  let text = cell.length > maxScannedLength ? cell.slice(0, maxScannedLength) : cell;
  const long = text.length >= 20;
  if (long)
    for (const format of secretFormats)
      text = collect(
        text,
        format.pattern,
        (value) => ({
          kind: 'secret',
          scheme: format.name,
          redacted: redact('secret', value, format.prefix),
        }),
        out,
      );
  if (text.includes('@'))
    text = collect(text, emailPattern, (value) => ({ kind: 'email', redacted: redact('email', value) }), out);
  const digits = digitCount(text);
  // An IPv4 address has at least four digits and three dots.
  if (digits >= 4 && text.includes('.'))
    text = collect(
      text,
      ipv4Pattern,
      (value) => (isIpv4(value) ? { kind: 'ip-address', redacted: redact('ip-address', value) } : undefined),
      out,
    );
  // Every IBAN, card, national identifier and phone number here has at least seven digits.
  if (digits >= 7) {
    text = collect(
      text,
      ibanPattern,
      (value) => (isIban(value) ? { kind: 'iban', redacted: redact('iban', value) } : undefined),
      out,
    );
    text = collect(
      text,
      cardPattern,
      (value) =>
        isPaymentCardNumber(value.replace(/[ -]/g, ''))
          ? { kind: 'payment-card', redacted: redact('payment-card', value) }
          : undefined,
      out,
    );
    text = collect(
      text,
      distinctiveIdPattern,
      (value) => {
        const scheme = distinctiveNationalId(value);
        return scheme ? { kind: 'national-id', scheme, redacted: redact('national-id', value) } : undefined;
      },
      out,
    );
    text = collect(
      text,
      phonePattern,
      (value) =>
        phoneDigitsPlausible(value) ? { kind: 'phone', redacted: redact('phone', value) } : undefined,
      out,
    );
  }
  if (text.includes(':'))
    text = collect(
      text,
      ipv6Pattern,
      (value) => (isIpv6(value) ? { kind: 'ip-address', redacted: redact('ip-address', value) } : undefined),
      out,
    );
  if (long)
    collect(
      text,
      tokenPattern,
      (value) =>
        isHighEntropyToken(value)
          ? { kind: 'secret', scheme: 'high-entropy', redacted: redact('secret', value) }
          : undefined,
      out,
    );
  return out;
}

/** A whole cell that is a digits-only national identifier (spaces and dashes allowed), if it is one. */
export function digitsOnlyIdentifier(cell: string): CellMatch | undefined {
  if (cell.length < 9 || cell.length > 14) return undefined;
  const digits = cell.replace(/[ -]/g, '');
  if (!/^[0-9]{9,11}$/.test(digits)) return undefined;
  const scheme = digitsOnlyNationalId(digits);
  return scheme ? { kind: 'national-id', scheme, redacted: redact('national-id', cell) } : undefined;
}

/** Where a sample was found: the file and the 1-based row (not line) within it. */
export interface RowLocation {
  file: string;
  row: number;
}

export interface PersonalDataSample extends RowLocation {
  redacted: string;
  scheme?: string;
}

interface KindState {
  /** Cells holding this kind at least once. */
  cells: number;
  schemes: Record<string, number>;
  samples: PersonalDataSample[];
}

interface ColumnState {
  /** Non-missing cells seen. */
  values: number;
  kinds: Map<PersonalDataKind, KindState>;
  /** Whole-cell digits-only identifiers, judged at the end by their share. */
  digitsOnly: KindState;
}

/** Accumulates personal data per column over streamed cells. */
export class PersonalDataScan {
  readonly #columns = new Map<string, ColumnState>();

  /** Counts one non-missing cell. Strings are scanned; integers as digits-only identifiers and card numbers. */
  addCell(column: string, value: unknown, where: RowLocation): void {
    let state = this.#columns.get(column);
    if (!state) {
      state = { values: 0, kinds: new Map(), digitsOnly: { cells: 0, schemes: {}, samples: [] } };
      this.#columns.set(column, state);
    }
    state.values++;
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'bigint') {
      // Numbers shorter than nine digits are neither identifiers nor card numbers.
      if (typeof value === 'number' && !(Number.isInteger(value) && Math.abs(value) >= 1e8)) return;
      text = String(value);
    } else if (typeof value === 'object' && value !== null) text = JSON.stringify(value);
    else return;
    const matches = scanText(text);
    const seen = new Set<PersonalDataKind>();
    for (const match of matches) {
      let kind = state.kinds.get(match.kind);
      if (!kind) {
        kind = { cells: 0, schemes: {}, samples: [] };
        state.kinds.set(match.kind, kind);
      }
      if (!seen.has(match.kind)) kind.cells++;
      seen.add(match.kind);
      note(kind, match, where);
    }
    if (matches.length === 0) {
      const digitsOnly = digitsOnlyIdentifier(text.trim());
      if (digitsOnly) {
        state.digitsOnly.cells++;
        note(state.digitsOnly, digitsOnly, where);
      }
    }
  }

  /** What each column holds: per kind the cells, their share of the column's values, schemes and samples. */
  columns(): Record<string, ColumnPersonalData> {
    const out: Record<string, ColumnPersonalData> = {};
    for (const [column, state] of [...this.#columns].sort(([a], [b]) => a.localeCompare(b))) {
      const kinds = new Map(state.kinds);
      const { digitsOnly } = state;
      if (digitsOnly.cells > 0 && digitsOnly.cells >= digitsOnlyMinShare * state.values) {
        const existing = kinds.get('national-id');
        kinds.set(
          'national-id',
          existing
            ? {
                cells: existing.cells + digitsOnly.cells,
                schemes: mergeCounts(existing.schemes, digitsOnly.schemes),
                samples: [...existing.samples, ...digitsOnly.samples].slice(0, maxSamples),
              }
            : digitsOnly,
        );
      }
      if (kinds.size === 0) continue;
      out[column] = {
        values: state.values,
        kinds: Object.fromEntries(
          [...kinds]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([kind, k]) => [
              kind,
              {
                cells: k.cells,
                share: state.values === 0 ? 0 : k.cells / state.values,
                ...(Object.keys(k.schemes).length > 0 ? { schemes: k.schemes } : {}),
                samples: k.samples,
              },
            ]),
        ),
      };
    }
    return out;
  }
}

export interface ColumnPersonalData {
  values: number;
  kinds: Partial<
    Record<
      PersonalDataKind,
      { cells: number; share: number; schemes?: Record<string, number>; samples: PersonalDataSample[] }
    >
  >;
}

function note(kind: KindState, match: CellMatch, where: RowLocation): void {
  if (match.scheme) kind.schemes[match.scheme] = (kind.schemes[match.scheme] ?? 0) + 1;
  if (kind.samples.length < maxSamples)
    kind.samples.push({
      ...where,
      redacted: match.redacted,
      ...(match.scheme ? { scheme: match.scheme } : {}),
    });
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = (out[key] ?? 0) + value;
  return out;
}
