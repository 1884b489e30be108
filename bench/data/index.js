// bench/data: `arbiter data check` over a 10-million-row CSV file and the same rows as Parquet
// (row groups of 100,000), generated here and deleted afterwards: rows per second and peak
// resident memory of the whole command (/usr/bin/time), beside a same-run baseline that only reads
// the rows with the same reader (csv-parse, hyparquet) and does no checks.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { fmt, random } from '../measure.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'arbiter.js');
const rows = Number(process.env.BENCH_DATA_ROWS ?? 10_000_000);
const batch = 100_000;

const regions = ['north', 'south', 'east', 'west', 'central'];
const notes = ['ok', 'call back', 'paid in full', 'late payment', 'new customer'];

/** One batch of rows as columns: 10 columns a credit data set might have, one planted e-mail per batch. */
function columns(next, start, count) {
  const out = {
    id: [],
    age: [],
    sex: [],
    income: [],
    region: [],
    tenure: [],
    balance: [],
    score: [],
    notes: [],
    label: [],
  };
  for (let i = 0; i < count; i++) {
    const age = 18 + Math.floor(next() * 60);
    const income = Math.round(20000 + next() * 80000);
    out.id.push(start + i + 1);
    out.age.push(age);
    out.sex.push(next() < 0.45 ? 'female' : 'male');
    out.income.push(income);
    out.region.push(regions[Math.floor(next() * regions.length)]);
    out.tenure.push(Math.floor(next() * 30));
    out.balance.push(Math.round(next() * 1e6) / 100);
    out.score.push(Math.round(next() * 1000) / 1000);
    out.notes.push(
      i === 0 ? `reach me at bench.person${start}@example.com` : notes[Math.floor(next() * notes.length)],
    );
    out.label.push(next() < 0.3 + income / 400000 ? 1 : 0);
  }
  return out;
}

const schema = `apiVersion: arbiter/v1
kind: DatasetSchema
metadata: { name: bench }
spec:
  id: id
  label: label
  positive: 1
  features: { age: numeric, sex: categorical, income: numeric, region: categorical, tenure: numeric, balance: numeric, score: numeric }
  sensitive:
    age: { bins: [25, 40, 60] }
    sex: {}
  intersections: [[age, sex]]
  columns:
    age: { type: integer, min: 18, max: 100 }
`;

async function writeCsv(path) {
  const next = random(42);
  const out = createWriteStream(path);
  const names = ['id', 'age', 'sex', 'income', 'region', 'tenure', 'balance', 'score', 'notes', 'label'];
  out.write(`${names.join(',')}\n`);
  for (let start = 0; start < rows; start += batch) {
    const c = columns(next, start, Math.min(batch, rows - start));
    let text = '';
    for (let i = 0; i < c.id.length; i++) text += `${names.map((name) => c[name][i]).join(',')}\n`;
    if (!out.write(text)) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve) => out.end(resolve));
}

async function writeParquet(path) {
  const next = random(42);
  let writer;
  for (let start = 0; start < rows; start += batch) {
    const c = columns(next, start, Math.min(batch, rows - start));
    const columnData = [
      { name: 'id', data: c.id, type: 'INT32' },
      { name: 'age', data: c.age, type: 'INT32' },
      { name: 'sex', data: c.sex, type: 'STRING' },
      { name: 'income', data: c.income, type: 'INT32' },
      { name: 'region', data: c.region, type: 'STRING' },
      { name: 'tenure', data: c.tenure, type: 'INT32' },
      { name: 'balance', data: c.balance, type: 'DOUBLE' },
      { name: 'score', data: c.score, type: 'DOUBLE' },
      { name: 'notes', data: c.notes, type: 'STRING' },
      { name: 'label', data: c.label, type: 'INT32' },
    ];
    writer ??= new ParquetWriter({ writer: fileWriter(path), schema: schemaFromColumnData({ columnData }) });
    await writer.write({ columnData, rowGroupSize: batch });
  }
  await writer.finish();
}

/** Runs a command under /usr/bin/time: wall and CPU (user + system) seconds, peak resident memory (MiB). */
function timed(args) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const [seconds, user, system, kib] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return {
    seconds,
    cpu: user + system,
    mib: kib / 1024,
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

/** The baseline: only read the rows with the same reader, no checks. */
const readOnly = (file) => [
  '--input-type=module',
  '-e',
  `import { readDataFileRows } from ${JSON.stringify(join(root, 'dist/app/data/data-file.js'))};
   let n = 0; for await (const chunk of readDataFileRows(${JSON.stringify(file)}).chunks) n += chunk.rows.length;
   console.log(n);`,
];

export async function run({ log }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-data-'));
  try {
    const schemaPath = join(dir, 'schema.yaml');
    writeFileSync(schemaPath, schema);
    const files = { CSV: join(dir, 'bench.csv'), Parquet: join(dir, 'bench.parquet') };
    log(`writing ${rows.toLocaleString('en-US')} rows as CSV …`);
    await writeCsv(files.CSV);
    log(`writing ${rows.toLocaleString('en-US')} rows as Parquet …`);
    await writeParquet(files.Parquet);
    const loads = [];
    const lines = [
      '## Data check (`bench/data`)',
      '',
      `\`arbiter data check\` over ${rows.toLocaleString('en-US')} rows × 10 columns (7 features, a label, an id, a free-text column with one planted e-mail per 100,000 rows), generated by the bench and deleted after. Sensitive attributes: age (4 bins) and sex, and their intersection. "read only" is the same-run baseline: the same reader streaming the same file without any check. Peak memory is the maximum resident set of the whole process (\`/usr/bin/time\`). The machine (2 cores) was shared with other engineers' builds and tests while measuring, so the rates are indicative only; CPU seconds (user + system) suffer less from that than wall time.`,
      '',
      '| file | size | run | wall s | rows/s (wall) | CPU s | rows/s (CPU) | peak RSS |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ];
    for (const [format, file] of Object.entries(files)) {
      const size = `${Math.round(statSync(file).size / 2 ** 20)} MiB`;
      log(`${format}: read only …`);
      const baseline = timed(readOnly(file));
      if (Number(baseline.stdout.trim()) !== rows)
        throw new Error(`${format} read-only counted ${baseline.stdout}`);
      log(`${format}: data check …`);
      const checked = timed([bin, 'data', 'check', file, '--schema', schemaPath, '--json']);
      if (checked.code !== 1)
        throw new Error(`${format} check exited ${checked.code}: ${checked.stderr.slice(0, 500)}`);
      const result = JSON.parse(checked.stdout);
      if (result.dataset.rows !== rows || result.checks.pii.byKind.email !== Math.ceil(rows / batch))
        throw new Error(`${format}: unexpected result ${JSON.stringify(result.checks.pii.byKind)}`);
      for (const [name, m] of [
        ['read only', baseline],
        ['data check', checked],
      ])
        lines.push(
          `| ${format} | ${size} | ${name} | ${m.seconds.toFixed(1)} | ${fmt.rate(rows / m.seconds)} | ${m.cpu.toFixed(1)} | ${fmt.rate(rows / m.cpu)} | ${Math.round(m.mib)} MiB |`,
        );
      log(
        `${format}: ${fmt.rate(rows / checked.seconds)} rows/s wall, ${fmt.rate(rows / checked.cpu)} rows/s CPU, ${Math.round(checked.mib)} MiB`,
      );
      log(
        `load average while measuring: ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')}`,
      );
      loads.push(loadavg()[0]);
    }
    lines.push(
      '',
      `One-minute load average on the 2 cores right after each check: ${loads.map((x) => x.toFixed(1)).join(', ')}.`,
      '',
      `Row hashes for duplicates and leakage take 8 bytes a row (${Math.round((rows * 8) / 2 ** 20)} MiB for ${rows.toLocaleString('en-US')} rows; twice that for a moment while they are sorted). Everything else the checks keep is bounded by the schema (groups, categories, bins), so memory beyond the hashes does not grow with the file; Parquet memory follows the writer's row-group size.`,
    );
    return lines.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
