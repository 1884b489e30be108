import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { helpExamples, registerDataCommands } from '../../src/cli/data.js';
import type { ExitCode } from '../../src/cli/exit-codes.js';
import { arbiter, repoRoot } from '../helpers/cli.js';
import { planted, plantedForms, plantedRows, plantedSchema, writePlanted } from '../helpers/planted-data.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('arbiter-data-cli-');
const schema = join(dir, 'schema.yaml');
writeFileSync(schema, plantedSchema);
const rows = plantedRows();

/** Fails naming the output and the value when any planted raw value appears in any text. */
function expectNoPlantedValue(outputs: Record<string, string>): void {
  for (const [name, text] of Object.entries(outputs))
    for (const value of [...plantedForms, 'leaky.row@example.com', 'broken.json@example.com'])
      expect(text.includes(value), `${name} contains ${value}`).toBe(false);
}

describe('arbiter data check', () => {
  const formats = ['csv', 'ndjson', 'arff', 'parquet'] as const;
  const results: Record<string, any> = {};

  for (const format of formats)
    it(`${format}: finds every planted kind of personal data, the duplicates, the leaked feature and the label bias, and prints no raw value`, () => {
      const file = writePlanted(dir, `all-${format}`, format, rows);
      const sarif = join(dir, `${format}.sarif`);
      const markdown = join(dir, `${format}.md`);
      const json = arbiter([
        'data',
        'check',
        file,
        '--schema',
        schema,
        '--json',
        '--sarif',
        sarif,
        '--markdown',
        markdown,
      ]);
      expect(json.code, json.stderr).toBe(1);
      const text = arbiter(['data', 'check', file, '--schema', schema]);
      expect(text.code).toBe(1);
      const result = JSON.parse(json.stdout);
      results[format] = result;
      expect(result.format).toBe('arbiter.data.check/v1');
      expect(result.dataset.rows).toBe(300);
      // Each planted value twice (rows 6, 11, … and 106, 111, …).
      expect(result.checks.pii.byKind).toEqual(
        Object.fromEntries(Object.keys(planted).map((kind) => [kind, 2])),
      );
      expect(result.checks.pii.count).toBe(14);
      expect(result.checks.pii.columns.notes.kinds.email.samples[0]).toEqual({
        file,
        row: 6,
        redacted: '•••@•••.com',
      });
      expect(result.checks.quality.duplicateRows).toBe(5);
      expect(result.checks.quality.columns.age.rangeViolations).toBe(
        rows.filter((row) => row.age > 60 || row.age < 18).length,
      );
      expect(result.checks.leakage.features.leak.auc).toBe(1);
      const ids = result.findings.map((finding: { id: string }) => finding.id);
      expect(ids).toEqual(
        expect.arrayContaining([
          'pii.email:notes',
          'pii.secret:notes',
          'pii.payment-card:notes',
          'leakage.feature-auc:leak',
          'bias.disparate-impact:sex=f',
          'quality.duplicates',
        ]),
      );
      const sarifText = readFileSync(sarif, 'utf8');
      expect(JSON.parse(sarifText).runs[0].results.length).toBe(result.findings.length);
      const markdownText = readFileSync(markdown, 'utf8');
      expect(markdownText).toContain('❌ Data check failed');
      expectNoPlantedValue({
        json: json.stdout,
        'json stderr': json.stderr,
        text: text.stdout,
        'text stderr': text.stderr,
        sarif: sarifText,
        markdown: markdownText,
      });
    });

  it('gives the same checks whatever the format the rows come in', () => {
    const comparable = (result: any) => ({
      pii: result.checks.pii.byKind,
      quality: { duplicates: result.checks.quality.duplicateRows, age: result.checks.quality.columns.age },
      bias: result.checks.bias,
      auc: result.checks.leakage.features,
      findings: result.findings.map((finding: any) => ({ ...finding, examples: undefined })),
    });
    const csv = comparable(results.csv);
    for (const format of ['ndjson', 'arff', 'parquet'])
      expect(
        JSON.parse(
          JSON.stringify(comparable(results[format])).replaceAll(`all-${format}.${format}`, 'all-csv.csv'),
        ),
        format,
      ).toEqual(JSON.parse(JSON.stringify(csv)));
  });

  it('states the label bias exactly: women 37.5%-ish against men as the reference', () => {
    const women = rows.filter((row) => row.sex === 'f');
    const men = rows.filter((row) => row.sex === 'm');
    const rate = (group: typeof rows) => group.filter((row) => row.label === 1).length / group.length;
    const bias = results.csv.checks.bias.label.attributes.sex;
    expect(bias.reference).toBe('m');
    expect(bias.referenceFrom).toBe('schema');
    expect(bias.groups.f.difference).toBeCloseTo(rate(women) - rate(men), 12);
    expect(bias.groups.f.ratio).toBeCloseTo(rate(women) / rate(men), 12);
    expect(bias.demographicParityDifference).toBeCloseTo(rate(men) - rate(women), 12);
  });

  it('finds evaluation rows that are also training rows, by row hash (ids aside)', () => {
    const train = writePlanted(dir, 'train', 'parquet', rows.slice(0, 250));
    // 10 training rows copied into the evaluation file under new ids.
    const copies = rows.slice(20, 30).map((row, i) => ({ ...row, id: 9000 + i }));
    const evaluation = writePlanted(dir, 'eval', 'csv', [...rows.slice(250), ...copies]);
    const result = arbiter([
      'data',
      'check',
      '--train',
      train,
      '--eval',
      evaluation,
      '--schema',
      schema,
      '--json',
    ]);
    const checks = JSON.parse(result.stdout).checks;
    expect(checks.leakage).toMatchObject({ trainRows: 250, evalRows: 60, sharedRows: 10 });
    expect(checks.leakage.sharedShare).toBeCloseTo(10 / 60, 12);
  });

  it('counts malformed rows as unreadable without quoting them, and fails (nothing checked is not a pass)', () => {
    const csv = writePlanted(dir, 'malformed', 'csv', rows.slice(0, 50), [
      '51,30,m,1200,Y,"unterminated leaky.row@example.com',
    ]);
    const ndjson = writePlanted(dir, 'malformed', 'ndjson', rows.slice(0, 50), [
      '{"id": 51, "notes": "broken.json@example.com"',
      '[1, 2, 3]',
      `{"id": 52, "deep": ${'['.repeat(40)}${']'.repeat(40)}}`,
    ]);
    for (const file of [csv, ndjson]) {
      const result = arbiter(['data', 'check', file, '--schema', schema, '--json']);
      expect(result.code, result.stderr).toBe(1);
      const parsed = JSON.parse(result.stdout);
      expect(parsed.checks.quality.unreadableRows).toBe(file.endsWith('.csv') ? 1 : 3);
      expect(parsed.findings.map((f: { id: string }) => f.id)).toContain('quality.unreadable');
      expect(result.stderr).toMatch(/warning: .*malformed\.(csv|ndjson):\d+: /);
      expectNoPlantedValue({ stdout: result.stdout, stderr: result.stderr });
    }
  });

  it('refuses a file without a header line (its first row of personal data taken for names) without printing it', () => {
    const headerless = join(dir, 'headerless.csv');
    writeFileSync(headerless, `${planted.email},30,m\nother@example.org,31,f\n`);
    const result = arbiter(['data', 'check', headerless, '--schema', schema]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'header column 1 holds personal data (email); is the header line missing?',
    );
    expectNoPlantedValue({ stdout: result.stdout, stderr: result.stderr });
  });

  describe('exits 2 and judges nothing', () => {
    const csv = writePlanted(dir, 'clean', 'csv', rows.slice(0, 10));

    it('for a schema naming an undeclared sensitive attribute', () => {
      const badSchema = join(dir, 'bad-schema.yaml');
      writeFileSync(badSchema, plantedSchema.replace('reference: { sex: m }', 'reference: { gender: m }'));
      const bad = arbiter(['data', 'check', csv, '--schema', badSchema]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('reference.gender: "gender" is not a sensitive attribute of this schema');
    });

    it('for a schema with a misspelt field, naming file:line:col', () => {
      const typo = join(dir, 'typo-schema.yaml');
      writeFileSync(typo, plantedSchema.replace('  label: label', '  lable: label'));
      const typoResult = arbiter(['data', 'check', csv, '--schema', typo]);
      expect(typoResult.code).toBe(2);
      expect(typoResult.stderr).toMatch(/typo-schema\.yaml:\d+:\d+: .*lable/);
    });

    it('for a column the data lacks', () => {
      const other = join(dir, 'other-schema.yaml');
      writeFileSync(other, plantedSchema.replace('income: numeric', 'salary: numeric'));
      const missing = arbiter(['data', 'check', csv, '--schema', other]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no column "salary" (feature), named in the schema');
    });

    it('for a missing file and a file that is not Parquet', () => {
      expect(arbiter(['data', 'check', join(dir, 'nope.csv'), '--schema', schema]).code).toBe(2);
      const notParquet = join(dir, 'fake.parquet');
      writeFileSync(notParquet, 'PAR1 this is not parquet PAR1');
      const fake = arbiter(['data', 'check', notParquet, '--schema', schema]);
      expect(fake.code).toBe(2);
      expect(fake.stderr).toContain('not a Parquet file');
    });

    it('for --train without --eval', () => {
      const lone = arbiter(['data', 'check', '--train', csv, '--schema', schema]);
      expect(lone.code).toBe(2);
      expect(lone.stderr).toContain('--train and --eval go together');
    });
  });

  it('takes a MonitorSchema as the schema, with or without its system and prediction', () => {
    const monitor = arbiter([
      'data',
      'check',
      'examples/monitoring/credit-g.arff',
      '--schema',
      'examples/monitoring/schema.yaml',
      '--json',
    ]);
    expect(monitor.code, monitor.stderr).toBe(1);
    const result = JSON.parse(monitor.stdout);
    expect(result.schema).toMatchObject({ name: 'credit-scoring', kind: 'MonitorSchema' });
    expect(Object.keys(result.checks.representation)).toEqual(['age', 'age & sex', 'foreign_worker', 'sex']);

    const bare = join(dir, 'monitor-schema.yaml');
    writeFileSync(
      bare,
      'apiVersion: arbiter/v1\nkind: MonitorSchema\nmetadata: { name: bare }\nspec:\n  label: class\n  positive: good\n  features: { age: numeric, purpose: categorical }\n',
    );
    const accepted = arbiter([
      'data',
      'check',
      'examples/monitoring/credit-g.arff',
      '--schema',
      bare,
      '--json',
    ]);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(JSON.parse(accepted.stdout).schema.kind).toBe('MonitorSchema');
  });

  it('passes clean data with exit 0', () => {
    const clean = plantedRows(300).map((row) => ({
      ...row,
      notes: 'ok',
      leak: 'N' as const,
      age: 30 + (row.id % 20),
    }));
    const balanced = clean.map((row, i) => ({ ...row, label: (i % 2) as 0 | 1, id: i + 1 }));
    const file = writePlanted(
      dir,
      'clean-all',
      'csv',
      balanced.map((row, i) => ({ ...row, income: 1000 + i })),
    );
    const result = arbiter(['data', 'check', file, '--schema', schema]);
    expect(result.stdout).toContain('PASSED');
    expect(result.code, result.stdout).toBe(0);
  });

  it('drift: against the same data nothing drifts; against shifted data the shifted feature does', () => {
    const base = writePlanted(dir, 'base', 'csv', rows);
    const same = arbiter(['data', 'check', base, '--schema', schema, '--baseline', base, '--json']);
    expect(JSON.parse(same.stdout).checks.drift).toMatchObject({
      drifted: 0,
      baseline: { rows: 300, kind: 'dataset' },
    });
    const shifted = writePlanted(
      dir,
      'shifted',
      'csv',
      rows.map((row) => ({ ...row, income: row.income + 800 })),
    );
    const moved = JSON.parse(
      arbiter(['data', 'check', shifted, '--schema', schema, '--baseline', base, '--json']).stdout,
    );
    expect(moved.checks.drift.driftedFeatures).toEqual(['income']);
    expect(moved.findings.map((f: { id: string }) => f.id)).toContain('drift.feature:income');
  });

  it('--help lists the options and the docs page, and each example it prints runs as printed', () => {
    const help = arbiter(['data', 'check', '--help']);
    expect(help.code).toBe(0);
    for (const option of ['--schema', '--train', '--eval', '--baseline', '--json', '--sarif', '--markdown'])
      expect(help.stdout).toContain(option);
    expect(help.stdout).toContain('docs/data.md');
    expect(existsSync(join(repoRoot, 'docs/data.md'))).toBe(true);
    const printed = [...help.stdout.matchAll(/^ {2}(arbiter data check .*)$/gm)].map((match) => match[1]!);
    expect(printed).toEqual([...helpExamples]);
    for (const example of printed) {
      // Run from a copy of the paths it names, in a scratch directory, so written files land there.
      const args = example
        .split(' ')
        .slice(1)
        .map((arg) => (/^examples\//.test(arg) ? join(repoRoot, arg) : arg));
      const result = arbiter(args, { cwd: dir });
      // The German Credit labels fail the four-fifths rule: a verdict (1), not an input error (2).
      expect(result.code, `${example}\n${result.stderr}`).toBe(1);
      expect(result.stdout).toContain('bias.disparate-impact:age & sex=<25 & female');
    }
    expect(readFileSync(join(dir, 'data-check.md'), 'utf8')).toContain('Data check failed');
  });

  it('draws a progress line on a terminal and none with --json', async () => {
    const file = writePlanted(dir, 'progress', 'csv', rows);
    const run = async (args: string[]) => {
      const writes: string[] = [];
      const output = { out: () => {}, err: () => {} };
      const program = new Command().exitOverride();
      let code: ExitCode | undefined;
      registerDataCommands(
        program,
        output,
        async (action) => {
          code = await action();
        },
        { isTTY: true, write: (text: string) => writes.push(text) },
      );
      await program.parseAsync(['node', 'arbiter', 'data', 'check', file, '--schema', schema, ...args]);
      return { writes, code };
    };
    const tty = await run([]);
    expect(tty.code).toBe(1);
    expect(tty.writes.some((text) => /\r\[=+ *\] 100% .*progress\.csv/.test(text))).toBe(true);
    expect(tty.writes.at(-1)).toBe('\r\u001b[K');
    expect((await run(['--json'])).writes).toEqual([]);
  });
});
