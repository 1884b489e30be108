import { existsSync, writeFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import type { Command } from 'commander';
import { loadPolicyDirectory, readPolicyDirectory } from '../app/policies/load-dir.js';
import { ArbiterError } from '../core/errors.js';
import { junitXml } from '../core/junit.js';
import {
  ActionRequestSchema,
  type Actor,
  ActorSchema,
  actorFromSystem,
  compilePolicyTests,
  evaluateAction,
  explainVerdict,
  type PolicyBundle,
  runPolicyTests,
} from '../policy/index.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { type Output, readDataFile } from './io.js';
import { registerPolicyReplayCommand } from './policy-replay.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

/** `arbiter policy lint|eval|test|replay`. */
export function registerPolicyCommands(program: Command, output: Output, run: Run): void {
  const policy = program
    .command('policy')
    .description('validate, evaluate and test decision-boundary policies')
    .addHelpText('after', '\nSee docs/policies.md for the document format.');

  policy
    .command('lint')
    .description('validate a governance directory (policies, systems, tests); exit 2 on any problem')
    .argument('<dir>', 'directory of YAML documents')
    .option('--json', 'print the result as JSON')
    .action((dir: string, options: { json?: boolean }) =>
      run(() => {
        const bundle = loadPolicyDirectory(dir);
        const suites = compilePolicyTests(readPolicyDirectory(dir).testFiles);
        const policies = bundle.counts.ActionPolicy + bundle.counts.GatePolicy + bundle.counts.MonitorPolicy;
        const testCases = suites.reduce((sum, suite) => sum + suite.cases.length, 0);
        if (options.json) {
          output.out(
            JSON.stringify({
              ok: true,
              policies,
              systems: bundle.counts.System,
              testCases,
              digest: bundle.digest,
              counts: bundle.counts,
            }),
          );
        } else {
          output.out(`ok: ${policies} policies, ${bundle.counts.System} systems, digest ${bundle.digest}`);
        }
        return exitCodes.ok;
      }),
    );

  policy
    .command('eval')
    .description(
      'evaluate one action request and explain the verdict; exit 0 allow, 1 require_approval or deny',
    )
    .requiredOption('--policies <dir>', 'governance directory')
    .requiredOption('--input <file>', 'the action request (JSON or YAML; - for stdin)')
    .option('--actor <file-or-system>', 'an actor JSON file, or the id of a System in the bundle')
    .option('--now <iso-8601>', 'evaluate as if at this time (default: now)')
    .option('--json', 'print {effect, reasons, notFired, approvals, shadow, bundle} as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  arbiter policy eval --policies examples/policies --input request.json --actor deploy-bot --json',
    )
    .action((options: { policies: string; input: string; actor?: string; now?: string; json?: boolean }) =>
      run(() => {
        const bundle = loadPolicyDirectory(options.policies);
        const request = readDataFile(options.input);
        if (!Value.Check(ActionRequestSchema, request)) {
          throw new ArbiterError(
            'ARB_ERR_INPUT_INVALID',
            `${options.input}: not an action request: ${schemaErrors(ActionRequestSchema, request)}`,
          );
        }
        const actor = resolveActor(bundle, options.actor);
        const now = parseNow(options.now);
        const verdict = evaluateAction(bundle, { request, actor, now });
        output.out(options.json ? JSON.stringify(verdict, null, 2) : explainVerdict(verdict));
        return verdict.effect === 'allow' ? exitCodes.ok : exitCodes.failed;
      }),
    );

  policy
    .command('test')
    .description('run every *.test.yaml case against the bundle; exit 1 on any failure')
    .argument('<dir>', 'governance directory')
    .option('--junit <file>', 'also write a JUnit XML report for CI')
    .option('--json', 'print the results as JSON')
    .action((dir: string, options: { junit?: string; json?: boolean }) =>
      run(() => {
        const bundle = loadPolicyDirectory(dir);
        const suites = compilePolicyTests(readPolicyDirectory(dir).testFiles);
        const results = runPolicyTests(bundle, suites);
        const failed = results.filter((result) => !result.passed);
        if (options.json) {
          output.out(
            JSON.stringify({
              passed: results.length - failed.length,
              failed: failed.length,
              results: results.map(({ verdict: _v, gate: _g, ...rest }) => rest),
            }),
          );
        } else {
          for (const result of results) {
            output.out(`${result.passed ? 'PASS' : 'FAIL'}  ${result.suite} › ${result.name}`);
            for (const failure of result.failures)
              output.out(`        ${result.file}:${result.line}: ${failure}`);
          }
          if (results.length === 0) output.out(`no test cases: add *.test.yaml files to ${dir}`);
          else
            output.out(
              `\n${results.length - failed.length} passed, ${failed.length} failed, ${results.length} cases in ${suites.length} suites`,
            );
        }
        if (options.junit) {
          const bySuite = new Map<string, typeof results>();
          for (const result of results)
            bySuite.set(result.suite, [...(bySuite.get(result.suite) ?? []), result]);
          const xml = junitXml(
            [...bySuite].map(([name, cases]) => ({
              name,
              cases: cases.map((result) => ({
                name: result.name,
                classname: `policy.${name}`,
                ...(result.passed
                  ? {}
                  : {
                      failure: { message: result.failures[0] ?? 'failed', body: result.failures.join('\n') },
                    }),
              })),
            })),
          );
          writeFileSync(options.junit, xml);
        }
        return failed.length === 0 ? exitCodes.ok : exitCodes.failed;
      }),
    );

  registerPolicyReplayCommand(policy, output, run);
}

function schemaErrors(schema: Parameters<typeof Value.Errors>[0], value: unknown): string {
  return [...Value.Errors(schema, value)]
    .slice(0, 3)
    .map((error) => `${error.path || '/'} ${error.message.toLowerCase()}`)
    .join('; ');
}

function resolveActor(bundle: PolicyBundle, actor: string | undefined): Actor {
  if (actor === undefined) return { id: 'cli-user', kind: 'human', groups: [] };
  const system = bundle.system(actor);
  if (system) return actorFromSystem(system);
  if (!existsSync(actor)) {
    const known = bundle.systems.map((s) => s.id).join(', ') || 'none';
    throw new ArbiterError(
      'ARB_ERR_INPUT_NOT_FOUND',
      `--actor ${actor}: neither a file nor a System of the bundle (Systems: ${known})`,
    );
  }
  const value = readDataFile(actor);
  if (!Value.Check(ActorSchema, value)) {
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `${actor}: an actor needs an id and a kind (agent, model or human): ${schemaErrors(ActorSchema, value)}`,
    );
  }
  return value as Actor;
}

function parseNow(now: string | undefined): Date {
  if (now === undefined) return new Date();
  const parsed = new Date(now);
  if (Number.isNaN(parsed.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(now)) {
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `--now ${now}: not an ISO 8601 time such as 2026-11-20T16:00:00Z`,
    );
  }
  return parsed;
}
