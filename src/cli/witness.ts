import type { Command } from 'commander';
import { startWitness } from '../app/witness/witness.js';
import { createWitnessKey, readWitnessKey, witnessedLogs } from '../app/witness/witness-config.js';
import { ArbiterError } from '../core/errors.js';
import { cosignatureVerifierKeyOf } from '../ledger/cosignature.js';
import { serverLogger } from '../server/app.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `arbiter witness keygen|key|serve`: a C2SP tlog-witness that cosigns the logs it is given. */
export function registerWitnessCommands(program: Command, output: Output, run: Run): void {
  const witness = program
    .command('witness')
    .description('run a transparency-log witness (C2SP tlog-witness) that cosigns consistent checkpoints');

  witness
    .command('keygen')
    .description("create the witness's Ed25519 key (mode 0600) and print its cosignature/v1 verifier key")
    .requiredOption('--name <name>', 'the witness name, a schema-less URL such as witness.example.com/w1')
    .requiredOption('--key <file>', 'where to write the key; an existing file is never overwritten')
    .action((options: { name: string; key: string }) =>
      run(() => {
        output.out(createWitnessKey(options.key, options.name));
        return exitCodes.ok;
      }),
    );

  witness
    .command('key')
    .description('print the cosignature/v1 verifier key of a witness key file (give it to logs and auditors)')
    .requiredOption('--key <file>', 'the witness key file')
    .action((options: { key: string }) =>
      run(() => {
        output.out(cosignatureVerifierKeyOf(readWitnessKey(options.key)));
        return exitCodes.ok;
      }),
    );

  witness
    .command('serve')
    .description('serve POST /add-checkpoint; the latest cosigned checkpoint of each log is kept in SQLite')
    .requiredOption('--key <file>', 'the witness key file (`arbiter witness keygen`)')
    .requiredOption('--state <file>', 'the SQLite file holding what the witness cosigned (survives restarts)')
    .option('--log <vkey>', 'a log to witness: its verifier key, or "ORIGIN VKEY" (repeatable)', collect)
    .option(
      '--logs-file <file>',
      'a file of logs, one "VKEY" or "ORIGIN VKEY" per line (repeatable)',
      collect,
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '7380')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .addHelpText(
      'after',
      '\nThe witness never cosigns two roots for one size nor a checkpoint that is not a consistent extension of\nthe last one it cosigned. Signals: SIGTERM/SIGINT stop it. See docs/ledger.md#witnesses.',
    )
    .action(
      (options: {
        key: string;
        state: string;
        log?: string[];
        logsFile?: string[];
        host: string;
        port: string;
        logLevel: string;
      }) =>
        run(async () => {
          const port = Number(options.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535)
            throw new ArbiterError('ARB_ERR_USAGE', `--port ${options.port} is not a port number`);
          const logs = witnessedLogs({
            ...(options.log ? { logs: options.log } : {}),
            ...(options.logsFile ? { files: options.logsFile } : {}),
          });
          const signer = readWitnessKey(options.key);
          const running = await startWitness({
            signer,
            logs,
            statePath: options.state,
            host: options.host,
            port,
            logger: serverLogger(options.logLevel),
          });
          output.out(
            `Witness ${running.name} listening on ${running.url} (POST ${running.url}/add-checkpoint)`,
          );
          output.out(`  verifier key ${running.verifierKey}`);
          for (const log of logs)
            output.out(
              `  witnessing   ${log.origin} (${log.verifiers.length} key${log.verifiers.length === 1 ? '' : 's'})`,
            );
          output.out(`  state        ${options.state}`);
          return new Promise<ExitCode>((resolve) => {
            const stop = (signal: string) => {
              process.off('SIGTERM', onTerm);
              process.off('SIGINT', onInt);
              output.out(`${signal}: stopping`);
              running.close().then(
                () => resolve(exitCodes.ok),
                () => resolve(exitCodes.failed),
              );
            };
            const onTerm = () => stop('SIGTERM');
            const onInt = () => stop('SIGINT');
            process.on('SIGTERM', onTerm);
            process.on('SIGINT', onInt);
          });
        }),
    );
}
