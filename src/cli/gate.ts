import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runGate } from '../app/releases/run-gate.js';
import { packageVersion } from '../app/version.js';
import { ArbiterApiError, ArbiterClient } from '../client/index.js';
import { ArbiterError } from '../core/errors.js';
import { evidenceText, gateJunit, gateMarkdown, gateSarif } from '../gate/report.js';
import { explainGate } from '../policy/explain.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';
import { largeFileProgress, type ProgressStream } from './progress.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

interface GateCommandOptions {
  policies: string;
  release: string;
  baseline?: string;
  osv?: string;
  sarifIn?: string[];
  sbomIn?: string[];
  vex?: string[];
  evaluations?: string[];
  sarif?: string;
  junit?: string;
  markdown?: string;
  bom?: string;
  json?: boolean;
  record?: string;
  token?: string;
}

const write = (file: string, text: string) => writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);

/** `arbiter gate`: judges a release against the gate policies, the way CI runs tests. */
export function registerGateCommand(
  program: Command,
  output: Output,
  run: Run,
  terminal: ProgressStream = process.stderr,
): void {
  program
    .command('gate')
    .description(
      'check a model release against GatePolicy documents (metrics, regressions, AI-BOM, model scan, licences, vulnerabilities, provenance, and other tools’ SARIF, SBOMs, VEX and evaluation results); exit 0 pass, 1 failed checks, 2 bad input',
    )
    .requiredOption('--policies <dir>', 'the policy directory (GatePolicy and Waiver documents)')
    .requiredOption('--release <file>', 'the Release file of the candidate')
    .option('--baseline <file>', 'the Release file of the version in production, for regression checks')
    .option('--osv <path>', 'OSV database: a directory of OSV JSON files or an osv.dev all.zip')
    .option(
      '--sarif-in <files...>',
      "other scanners' SARIF 2.1.0 (Trivy, Grype, Semgrep, CodeQL…): release.findings",
    )
    .option('--sbom-in <files...>', "other tools' CycloneDX JSON SBOMs (Syft, Trivy): merged into the AI-BOM")
    .option(
      '--vex <files...>',
      'CycloneDX VEX or OpenVEX documents: vulnerabilities they mark not affected are suppressed',
    )
    .option(
      '--evaluations <files...>',
      'evaluation / red-team results (arbiter.evaluation/v1 JSON): release.evaluations',
    )
    .option('--sarif <file>', 'write SARIF 2.1.0 (GitHub code scanning)')
    .option('--junit <file>', 'write JUnit XML')
    .option('--markdown <file>', 'write a Markdown summary for a pull-request comment')
    .option('--bom <file>', 'write the AI-BOM (CycloneDX 1.6 JSON) the gate used')
    .option('--json', 'print the gate run as JSON')
    .option('--record <url>', 'send the gate run to an Arbiter server (token from --token or $ARBITER_TOKEN)')
    .option('--token <token>', 'bearer token for --record')
    .action((options: GateCommandOptions) =>
      run(async () => {
        const token = options.token ?? process.env.ARBITER_TOKEN;
        if (options.record && !token)
          throw new ArbiterError(
            'ARB_ERR_USAGE',
            '--record needs a token: set ARBITER_TOKEN or pass --token',
          );
        const {
          run: gate,
          bom,
          releaseLine,
        } = await runGate({
          policies: options.policies,
          release: options.release,
          ...(options.baseline ? { baseline: options.baseline } : {}),
          ...(options.osv ? { osv: options.osv } : {}),
          // Multi-gigabyte model files show progress on a terminal; --json output stays clean.
          progress: largeFileProgress(options.json ? undefined : terminal),
          evidence: {
            sarif: options.sarifIn ?? [],
            sbom: options.sbomIn ?? [],
            vex: options.vex ?? [],
            evaluations: options.evaluations ?? [],
          },
        });
        if (options.sarif)
          write(
            options.sarif,
            JSON.stringify(gateSarif(gate, { version: packageVersion(), releaseLine }), null, 2),
          );
        if (options.junit) write(options.junit, gateJunit(gate));
        if (options.markdown) write(options.markdown, gateMarkdown(gate));
        if (options.bom) write(options.bom, JSON.stringify(bom, null, 2));
        let recorded: { id: string; ledgerIndex: number } | undefined;
        if (options.record && token) {
          try {
            recorded = await new ArbiterClient({ url: options.record, token }).recordGateRun(gate);
          } catch (error) {
            if (error instanceof ArbiterApiError)
              throw new ArbiterError(
                'ARB_ERR_USAGE',
                `recording the gate run failed: ${error.code}: ${error.message}`,
              );
            throw error;
          }
        }
        if (options.json) {
          output.out(JSON.stringify({ ...gate, ...(recorded ? { recorded } : {}) }, null, 2));
        } else {
          output.out(`release ${gate.release.system} ${gate.release.version} (${gate.release.file})`);
          output.out(explainGate({ passed: gate.passed, checks: gate.checks, bundle: gate.bundle }));
          for (const line of evidenceText(gate)) output.out(line);
          for (const warning of gate.warnings) output.err(`warning: ${warning}`);
          if (recorded) output.out(`recorded as ${recorded.id} (ledger entry ${recorded.ledgerIndex})`);
        }
        return gate.passed ? exitCodes.ok : exitCodes.failed;
      }),
    );
}
