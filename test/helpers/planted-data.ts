import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

/**
 * Synthetic data sets with planted problems, written as CSV, NDJSON, ARFF and (with
 * hyparquet-writer) Parquet, so each check can be asserted exactly and every output searched for
 * the planted raw values.
 */

/** Raw personal values planted in the `notes` column; none may appear in any output. */
export const planted = {
  email: 'jane.doe@example.com',
  phone: '+44 20 7946 0958',
  'payment-card': '4111 1111 1111 1111',
  iban: 'DE89 3704 0044 0532 0130 00',
  'national-id': '12345678Z',
  'ip-address': '203.0.113.77',
  secret: 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789',
} as const;

/** The planted values and their compact forms (no spaces), as they could leak. */
export const plantedForms = Object.values(planted).flatMap((value) => [value, value.replace(/ /g, '')]);

export interface PlantedRow {
  id: number;
  age: number;
  sex: 'f' | 'm';
  income: number;
  leak: 'Y' | 'N';
  notes: string;
  label: 0 | 1;
}

/**
 * 300 rows: rows 5, 10, … 35 (every fifth, first seven) carry one planted value each in `notes`,
 * once more at rows 105 … 135; rows 200–204 repeat rows 0–4 with new ids (5 duplicates);
 * `leak` copies the label; women have the positive label at half the men's rate.
 */
export function plantedRows(count = 300): PlantedRow[] {
  const values = Object.values(planted);
  const rows: PlantedRow[] = [];
  for (let i = 0; i < count; i++) {
    const sex = i % 3 === 0 ? 'f' : 'm';
    // Men: positive when i % 4 != 0 (75%); women: when i % 8 < 3 (about 37.5%).
    const label = (sex === 'm' ? i % 4 !== 0 : i % 8 < 3) ? 1 : 0;
    const slot = i % 100 === 0 ? -1 : i % 5 === 0 && i % 100 <= 35 && i < 200 ? (i % 100) / 5 - 1 : -1;
    rows.push({
      id: i + 1,
      age: 20 + (i % 45),
      sex,
      income: 1000 + ((i * 37) % 900),
      leak: label ? 'Y' : 'N',
      notes: slot >= 0 ? `contact ${values[slot]!} today` : `note ${i % 7}`,
      label,
    });
  }
  for (let i = 0; i < 5 && 200 + i < count; i++) rows[200 + i] = { ...rows[i]!, id: 201 + i };
  return rows;
}

const columns = ['id', 'age', 'sex', 'income', 'leak', 'notes', 'label'] as const;

const csvCell = (value: unknown) => {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Writes rows in a format; returns the path. `extra` lines are appended verbatim (malformed rows). */
export function writePlanted(
  dir: string,
  name: string,
  format: 'csv' | 'ndjson' | 'arff' | 'parquet',
  rows: readonly PlantedRow[],
  extra: string[] = [],
): string {
  const path = join(dir, `${name}.${format}`);
  if (format === 'csv')
    writeFileSync(
      path,
      `${[columns.join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c])).join(',')), ...extra].join('\n')}\n`,
    );
  else if (format === 'ndjson')
    writeFileSync(path, `${[...rows.map((row) => JSON.stringify(row)), ...extra].join('\n')}\n`);
  else if (format === 'arff')
    writeFileSync(
      path,
      [
        '@relation planted',
        '@attribute id numeric',
        '@attribute age numeric',
        "@attribute sex {'f','m'}",
        '@attribute income numeric',
        "@attribute leak {'Y','N'}",
        '@attribute notes string',
        '@attribute label {0,1}',
        '@data',
        ...rows.map((row) =>
          columns.map((c) => (typeof row[c] === 'string' ? `'${row[c]}'` : String(row[c]))).join(','),
        ),
        ...extra,
        '',
      ].join('\n'),
    );
  else
    writeFileSync(
      path,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'id', data: rows.map((r) => r.id), type: 'INT32' },
            { name: 'age', data: rows.map((r) => BigInt(r.age)), type: 'INT64' },
            { name: 'sex', data: rows.map((r) => r.sex), type: 'STRING' },
            { name: 'income', data: rows.map((r) => r.income), type: 'DOUBLE' },
            { name: 'leak', data: rows.map((r) => r.leak), type: 'STRING' },
            { name: 'notes', data: rows.map((r) => r.notes), type: 'STRING' },
            { name: 'label', data: rows.map((r) => r.label), type: 'INT32' },
          ],
          rowGroupSize: 128,
        }),
      ),
    );
  return path;
}

/** The DatasetSchema of the planted data (YAML text). */
export const plantedSchema = `apiVersion: arbiter/v1
kind: DatasetSchema
metadata: { name: planted }
spec:
  id: id
  label: label
  positive: 1
  features: { age: numeric, sex: categorical, income: numeric, leak: categorical }
  sensitive:
    sex: {}
  reference: { sex: m }
  minGroupSize: 20
  columns:
    age: { type: integer, min: 18, max: 60 }
`;
