#!/usr/bin/env node
// Prepares the monitoring demo from the German Credit data: scores every applicant with the released
// credit-scoring model 1.1.0, then splits the rows into a reference half (what the model was validated
// on) and a production half streamed over 24 hours, in which the second twelve hours drift: larger and
// longer loans and many more young applicants. Deterministic. Run from the repository root after
// `npm run build` (it reads the data with arbiter/monitor):
//   node examples/monitoring/prepare.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArff } from 'arbiter/monitor';

const here = dirname(fileURLToPath(import.meta.url));
const modelFile = join(here, '../releases/credit-scoring/1.1.0/model/model.safetensors');

/** The ARFF rows, numeric attributes as numbers (Arbiter's own reader). */
function readArff(text) {
  return parseArff(text).rows;
}

/** The released model: weights and bias from safetensors, the input encoding from its metadata. */
function readModel(file) {
  const bytes = readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  const tensor = (name) => {
    const [start, end] = header[name].data_offsets;
    const data = bytes.subarray(8 + length + start, 8 + length + end);
    return Array.from(new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)));
  };
  const encoder = JSON.parse(header.__metadata__.encoder);
  const weights = tensor('weights');
  const [bias] = tensor('bias');
  return (row) => {
    const z = encoder.reduce(
      (sum, column, j) =>
        sum + weights[j] * ('level' in column ? (row[column.feature] === column.level ? 1 : 0) : (row[column.feature] - column.mean) / column.sd),
      bias,
    );
    return 1 / (1 + Math.exp(-z));
  };
}

const score = readModel(modelFile);
const rows = readArff(readFileSync(join(here, 'credit-g.arff'), 'utf8'));
const start = Date.parse('2026-11-23T00:00:00Z');
const round = (x) => Math.round(x * 10_000) / 10_000;

function event(row, i, time) {
  const probability = score(row);
  return JSON.stringify({
    id: `app-${String(i).padStart(4, '0')}`,
    ...(time === undefined ? {} : { time: new Date(time).toISOString() }),
    ...row,
    score: round(probability),
    prediction: probability >= 0.5 ? 'good' : 'bad',
  });
}

const reference = rows.filter((_, i) => i % 2 === 0).map((row, i) => event(row, i * 2));
const production = rows
  .filter((_, i) => i % 2 === 1)
  .map((original, k) => {
    const row = { ...original };
    if (k >= 250) {
      // Hours 12–24: the lender's new channel brings larger, longer loans and younger applicants.
      row.credit_amount = Math.round(row.credit_amount * 1.9);
      row.duration = row.duration + 12;
      if (k % 3 !== 0) row.age = 19 + (k % 6);
    }
    return event(row, k * 2 + 1, start + Math.floor((k * 24 * 3_600_000) / 500));
  });

writeFileSync(join(here, 'reference.ndjson'), `${reference.join('\n')}\n`);
writeFileSync(join(here, 'production.ndjson'), `${production.join('\n')}\n`);
console.log(`reference: ${reference.length} rows, production: ${production.length} rows (drift from row 250)`);
