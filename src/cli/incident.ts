import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { loadPolicyDirectory } from '../app/policies/load-dir.js';
import type { Incident, IncidentQuery, Trace } from '../client/index.js';
import { ArbiterError } from '../core/errors.js';
import { incidentLinkKinds, incidentSeverities } from '../incidents/incident.js';
import { postmortemBlocks, postmortemHtml, postmortemMarkdown } from '../incidents/postmortem.js';
import type { TraceReplay } from '../incidents/trace.js';
import { describePaged, traceText } from '../incidents/trace-text.js';
import { replayRequest } from '../incidents/what-if.js';
import { actorFromSystem } from '../policy/evaluate-action.js';
import type { ActionRequest } from '../policy/request.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';
import { clientFor, type RemoteOptions, remote, withRemote } from './remote.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

/** A one-screen account of an incident. */
export function describeIncident(incident: Incident): string {
  const lines = [
    `${incident.id}  ${incident.severity} ${incident.status.toUpperCase()}  ${incident.title}`,
    `  ${incident.system ? `system ${incident.system} · ` : ''}opened ${incident.openedAt} by ${incident.openedBy} (${incident.trigger}) · ledger #${incident.ledgerIndex}`,
    `  paged: ${describePaged(incident.paged)}`,
  ];
  if (incident.description) lines.push(`  description: ${incident.description}`);
  for (const link of incident.links ?? [])
    lines.push(
      `  linked ${link.kind} ${link.ref}${link.note ? ` (${link.note})` : ''} by ${link.linkedBy} at ${link.linkedAt} · ledger #${link.ledgerIndex}`,
    );
  if (incident.resolvedAt)
    lines.push(`  resolved ${incident.resolvedAt} by ${incident.resolvedBy}: ${incident.resolution ?? ''}`);
  return lines.join('\n');
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new ArbiterError('ARB_ERR_USAGE', `${name} must be one of ${allowed.join(', ')}, not ${value}`);
  return value as T;
}

/** Replays each decision of the trace against a governance directory, as the server replays against its bundle. */
function replayAgainst(dir: string, trace: Trace): Map<string, TraceReplay> {
  const bundle = loadPolicyDirectory(dir);
  return new Map(
    trace.decisions.map((decision) => {
      const system = decision.system ? bundle.system(decision.system) : undefined;
      const actor = system
        ? actorFromSystem(system)
        : { id: decision.actor.id, kind: decision.actor.kind as 'human', groups: [] };
      return [
        decision.id,
        replayRequest(bundle, {
          request: decision.request as unknown as ActionRequest,
          actor,
          at: new Date(decision.createdAt),
          recordedEffect: decision.effect,
        }),
      ];
    }),
  );
}

/** `arbiter incident …`, `arbiter trace`, `arbiter postmortem`: clients of a running server. */
export function registerIncidentCommands(program: Command, output: Output, run: Run): void {
  const print = (options: RemoteOptions, value: unknown, text: () => string) =>
    output.out(options.json ? JSON.stringify(value, null, 2) : text());

  const incident = program
    .command('incident')
    .description('open, list, show, link and resolve incidents on a running Arbiter');

  withRemote(incident.command('open').description('open an incident; prints it'))
    .requiredOption('--title <text>', 'what is wrong, in one line')
    .option('--severity <sev>', `${incidentSeverities.join(', ')} (default sev3)`)
    .option('--system <id>', 'the System concerned (agents: their own, the default)')
    .option('--decision <id>', 'a decision to link at once')
    .option('--description <text>', 'more detail')
    .action(
      (
        options: RemoteOptions & {
          title: string;
          severity?: string;
          system?: string;
          decision?: string;
          description?: string;
        },
      ) =>
        run(async () => {
          const severity = oneOf('--severity', options.severity, incidentSeverities);
          const opened = await remote(() =>
            clientFor(options).openIncident({
              title: options.title,
              ...(severity ? { severity } : {}),
              ...(options.system ? { system: options.system } : {}),
              ...(options.decision ? { decision: options.decision } : {}),
              ...(options.description ? { description: options.description } : {}),
            }),
          );
          print(options, opened, () => describeIncident(opened));
          return exitCodes.ok;
        }),
    );

  withRemote(incident.command('list').description('incidents, newest first'))
    .option('--status <status>', 'open or resolved')
    .option('--system <id>', 'only this System')
    .option('--severity <sev>', 'only this severity')
    .option('--limit <n>', 'how many', '20')
    .action(
      (options: RemoteOptions & { status?: string; system?: string; severity?: string; limit: string }) =>
        run(async () => {
          const status = oneOf('--status', options.status, ['open', 'resolved'] as const);
          const page = await remote(() =>
            clientFor(options).listIncidents({
              ...(status ? { status } : {}),
              ...(options.system ? { system: options.system } : {}),
              // The server checks the severity and answers a bad one with a 400 naming it.
              ...(options.severity ? { severity: options.severity as IncidentQuery['severity'] } : {}),
              limit: Number(options.limit),
            }),
          );
          print(options, page, () =>
            page.incidents.length === 0
              ? 'no incidents'
              : page.incidents
                  .map(
                    (i) =>
                      `${i.id}  ${i.severity} ${i.status.padEnd(8)} ${(i.system ?? '-').padEnd(16)} ${i.openedAt}  ${i.title}`,
                  )
                  .join('\n'),
          );
          return exitCodes.ok;
        }),
    );

  withRemote(incident.command('show').description('one incident with its links').argument('<id>')).action(
    (id: string, options: RemoteOptions) =>
      run(async () => {
        const found = await remote(() => clientFor(options).getIncident(id));
        print(options, found, () => describeIncident(found));
        return exitCodes.ok;
      }),
  );

  withRemote(
    incident
      .command('link')
      .description('link a decision, gate run, alert (system/policy/alert) or deployment')
      .argument('<id>'),
  )
    .requiredOption('--kind <kind>', incidentLinkKinds.join(', '))
    .requiredOption('--ref <ref>', 'the decision id, gate run id, alert, or deployment reference')
    .option('--note <text>', 'why it is linked')
    .action((id: string, options: RemoteOptions & { kind: string; ref: string; note?: string }) =>
      run(async () => {
        const kind = oneOf('--kind', options.kind, incidentLinkKinds)!;
        const linked = await remote(() =>
          clientFor(options).linkIncident(id, {
            kind,
            ref: options.ref,
            ...(options.note ? { note: options.note } : {}),
          }),
        );
        print(options, linked, () => describeIncident(linked));
        return exitCodes.ok;
      }),
    );

  withRemote(incident.command('resolve').description('resolve an incident').argument('<id>'))
    .requiredOption('--summary <text>', 'what was done; recorded in the ledger (as personal data)')
    .action((id: string, options: RemoteOptions & { summary: string }) =>
      run(async () => {
        const resolved = await remote(() => clientFor(options).resolveIncident(id, options.summary));
        print(options, resolved, () => describeIncident(resolved));
        return exitCodes.ok;
      }),
    );

  withRemote(
    program
      .command('trace')
      .description(
        'the accountability trace of an incident or decision, with ledger proofs; a decision whose stored state its ledger entries do not support is marked UNVERIFIED; exit 1 unless every proof verifies and every decision is supported',
      )
      .argument('<id>', 'an incident (inc_…) or decision (dec_…) id'),
  ).action((id: string, options: RemoteOptions) =>
    run(async () => {
      const trace = await remote(() => clientFor(options).trace(id));
      print(options, trace, () => traceText(trace));
      return trace.verified ? exitCodes.ok : exitCodes.failed;
    }),
  );

  withRemote(
    program
      .command('postmortem')
      .description('draft a postmortem from an incident’s trace (Markdown or HTML, by the file name)')
      .argument('<id>', 'an incident id (inc_…)'),
  )
    .requiredOption('--out <file>', 'FILE.md or FILE.html')
    .option(
      '--policies <dir>',
      'replay the decisions against this governance directory (default: the policies in force on the server)',
    )
    .action((id: string, options: RemoteOptions & { out: string; policies?: string }) =>
      run(async () => {
        const format = extname(options.out).toLowerCase();
        if (format !== '.md' && format !== '.html')
          throw new ArbiterError('ARB_ERR_USAGE', `--out must end in .md or .html, not ${options.out}`);
        if (id.startsWith('dec_'))
          throw new ArbiterError(
            'ARB_ERR_USAGE',
            'a postmortem is of an incident (inc_…); use arbiter trace for a decision',
          );
        const trace = await remote(() => clientFor(options).trace(id));
        const replays = options.policies
          ? replayAgainst(options.policies, trace)
          : new Map(trace.decisions.flatMap((d) => (d.replay ? [[d.id, d.replay] as const] : [])));
        const blocks = postmortemBlocks(trace, {
          replays,
          replayedAgainst: options.policies
            ? `the policies in ${options.policies}`
            : 'the policies in force on the server',
        });
        writeFileSync(options.out, format === '.html' ? postmortemHtml(blocks) : postmortemMarkdown(blocks));
        output.out(
          options.json
            ? JSON.stringify({ out: options.out, incident: id, verified: trace.verified })
            : `wrote ${options.out} (${trace.decisions.length} decision${trace.decisions.length === 1 ? '' : 's'}, ${trace.proofs.verified}/${trace.proofs.total} proofs verified)`,
        );
        return exitCodes.ok;
      }),
    );
}
