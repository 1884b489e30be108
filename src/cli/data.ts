import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkDataFiles } from '../app/data/check-files.js';
import { packageVersion } from '../app/version.js';
import { ArbiterError } from '../core/errors.js';
import type { DataRole } from '../data/check.js';
import { dataCheckMarkdown, dataCheckSarif, dataCheckText } from '../data/report.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

/** Where the progress line goes: standard error, redrawn in place only on a terminal. */
export interface ProgressTerminal {
  isTTY?: boolean;
  write(text: string): unknown;
}

interface DataCheckCommandOptions {
  schema: string;
  train?: string[];
  eval?: string[];
  baseline?: string;
  name?: string;
  json?: boolean;
  sarif?: string;
  markdown?: string;
}

/** Commands `--help` prints; a test runs each of them. */
export const helpExamples = [
  'arbiter data check examples/monitoring/credit-g.arff --schema examples/data/credit-g.schema.yaml',
  'arbiter data check examples/monitoring/credit-g.arff --schema examples/data/credit-g.schema.yaml --baseline examples/policies/profiles/credit-scoring.json --markdown data-check.md',
] as const;

const write = (file: string, text: string) => writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);

/** A progress line redrawn in place, at most every 200 ms; cleared when the work ends. */
function progressLine(terminal: ProgressTerminal) {
  let last = 0;
  let shown = false;
  return {
    update(file: string, done: number, total: number) {
      const now = Date.now();
      if (now - last < 200 && done < total) return;
      last = now;
      const share = total > 0 ? Math.min(1, done / total) : 0;
      const width = 24;
      const filled = Math.round(share * width);
      terminal.write(
        `\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${file}\u001b[K`,
      );
      shown = true;
    },
    end() {
      if (shown) terminal.write('\r\u001b[K');
    },
  };
}

/** `arbiter data check`: governance checks on a data set, before a model is trained on it. */
export function registerDataCommands(
  program: Command,
  output: Output,
  run: Run,
  terminal: ProgressTerminal = process.stderr,
): void {
  const data = program.command('data').description('check data sets before a model is trained on them');
  data
    .command('check')
    .description(
      'check data files (CSV, TSV, NDJSON, ARFF, Parquet) against a DatasetSchema: personal data and secrets, quality, representation and label bias, train/eval leakage, drift; exit 0 pass, 1 error findings, 2 bad input',
    )
    .argument('[files...]', 'data files (role "data")')
    .requiredOption('--schema <file>', 'a DatasetSchema (or MonitorSchema) YAML document')
    .option('--train <files...>', 'training data files (leakage: compared with --eval)')
    .option('--eval <files...>', 'evaluation data files (leakage: compared with --train)')
    .option('--baseline <file>', 'an older data file, or an `arbiter monitor profile` JSON file, for drift')
    .option('--name <name>', 'the data set name in reports (default: the first file name)')
    .option('--json', 'print the result as JSON (arbiter.data.check/v1) and no progress')
    .option('--sarif <file>', 'write SARIF 2.1.0 (GitHub code scanning)')
    .option('--markdown <file>', 'write a Markdown summary for a pull-request comment')
    .addHelpText(
      'after',
      `\nExamples (from the Arbiter repository):\n${helpExamples.map((example) => `  ${example}`).join('\n')}\n\nDocs: docs/data.md`,
    )
    .action((files: string[], options: DataCheckCommandOptions) =>
      run(async () => {
        const roles: { path: string; role: DataRole }[] = [
          ...files.map((path) => ({ path, role: 'data' as const })),
          ...(options.train ?? []).map((path) => ({ path, role: 'train' as const })),
          ...(options.eval ?? []).map((path) => ({ path, role: 'eval' as const })),
        ];
        if (roles.length === 0)
          throw new ArbiterError(
            'ARB_ERR_USAGE',
            'name at least one data file (or --train and --eval files)',
          );
        if ((options.train?.length ?? 0) > 0 !== (options.eval?.length ?? 0) > 0)
          throw new ArbiterError(
            'ARB_ERR_USAGE',
            '--train and --eval go together: leakage compares one with the other',
          );
        const progress = !options.json && terminal.isTTY ? progressLine(terminal) : undefined;
        let result: Awaited<ReturnType<typeof checkDataFiles>>;
        try {
          result = await checkDataFiles({
            files: roles,
            schema: options.schema,
            ...(options.baseline ? { baseline: options.baseline } : {}),
            ...(options.name ? { name: options.name } : {}),
            ...(progress ? { progress: progress.update } : {}),
            onProblems: (file, problems) => {
              for (const problem of problems) output.err(`warning: ${file}:${problem.at}: ${problem.reason}`);
            },
          });
        } finally {
          progress?.end();
        }
        if (options.sarif)
          write(options.sarif, JSON.stringify(dataCheckSarif(result, packageVersion()), null, 2));
        if (options.markdown) write(options.markdown, dataCheckMarkdown(result));
        if (options.json) output.out(JSON.stringify(result, null, 2));
        else for (const line of dataCheckText(result)) output.out(line);
        return result.passed ? exitCodes.ok : exitCodes.failed;
      }),
    );
}
