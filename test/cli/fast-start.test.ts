import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandNames } from '../../src/cli/program.js';
import { arbiter, repoRoot } from '../helpers/cli.js';
import { answer, captureServer, isolatedEnv, runArbiter } from '../helpers/hook-process.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The CLI starts in a blink (issue 19, item 5): each command loads its own module and nothing
 * else, and the per-tool-call path (`arbiter hook AGENT`) loads no framework at all. Every module
 * the built binary loads is recorded by a module-loader hook (node:module register), so these
 * tests see exactly what a run imports — no timing involved.
 */

const dist = pathToFileURL(join(repoRoot, 'dist')).href;
const nodeModules = pathToFileURL(join(repoRoot, 'node_modules')).href;
let tracer: string;

beforeAll(() => {
  const dir = tempDir('arbiter-trace-');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
let file;
export async function initialize(data) { file = data.file; }
export async function load(url, context, next) { appendFileSync(file, url + '\\n'); return next(url, context); }
`,
  );
  tracer = join(dir, 'register.mjs');
  writeFileSync(
    tracer,
    `import { register } from 'node:module';
register(new URL('./hooks.mjs', import.meta.url), { data: { file: process.env.TRACE_LOADS_FILE } });
`,
  );
});

/** Runs the built binary and returns the URLs of every module it loaded. */
async function loads(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const file = join(tempDir('arbiter-trace-out-'), 'loads.txt');
  writeFileSync(file, '');
  const env = {
    ...(options.env ?? isolatedEnv()),
    TRACE_LOADS_FILE: file,
    NODE_OPTIONS: `--import ${tracer}`,
  };
  const result = await runArbiter(args, {
    env,
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
  const urls = readFileSync(file, 'utf8').trim().split('\n');
  return {
    result,
    urls,
    distFiles: urls.filter((url) => url.startsWith(dist)).map((url) => url.slice(dist.length + 1)),
  };
}

// What the fast paths may load from Arbiter itself.
const versionModules = [
  'cli/main.js',
  'app/version.js',
  'cli/exit-codes.js',
  'cli/hook-agents.js',
  'cli/output.js',
];
const hookModules = [
  ...versionModules,
  'cli/hook-run.js',
  'core/duration.js',
  'cli/git-facts.js',
  'cli/http-call.js',
];

describe('what each command line loads', () => {
  it('--version loads five small modules of Arbiter and no package', async () => {
    const { result, urls, distFiles } = await loads(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version,
    );
    expect(urls.filter((url) => url.startsWith(nodeModules))).toEqual([]);
    expect(distFiles.sort()).toEqual([...versionModules].sort());
  });

  it('hook AGENT loads node:http and its own few modules: no framework, store, policy engine or shell parser', async () => {
    const capture = await captureServer(answer(200, { decision: 'allow' }));
    const { result, urls, distFiles } = await loads(['hook', 'gemini', '--url', capture.url], {
      input: JSON.stringify({
        session_id: 's',
        cwd: repoRoot,
        hook_event_name: 'BeforeTool',
        tool_name: 'read_file',
      }),
      env: isolatedEnv({ ARBITER_TOKEN: 'arb_trace' }),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(urls.filter((url) => url.startsWith(nodeModules))).toEqual([]);
    expect(distFiles.filter((file) => !hookModules.includes(file))).toEqual([]);
    expect(urls).toContain('node:http');
    expect(urls).not.toContain('node:https');
    expect(urls).not.toContain('node:child_process');
  });

  it('a command loads its own module, not the others (policy lint never loads the server or the store)', async () => {
    const { result, urls, distFiles } = await loads([
      'policy',
      'lint',
      join(repoRoot, 'examples', 'policies'),
    ]);
    expect(result.code).toBe(0);
    expect(distFiles).toContain('cli/policy.js');
    expect(distFiles.filter((file) => /^(server|store|mcp|monitor|gate|supply)\//.test(file))).toEqual([]);
    expect(
      distFiles.filter((file) => /^cli\/(serve|exec|mcp|gate|monitor|redteam|hook)\.js$/.test(file)),
    ).toEqual([]);
    for (const name of ['fastify', 'kysely', 'better-sqlite3', 'pg', '@modelcontextprotocol'])
      expect(urls.filter((url) => url.startsWith(`${nodeModules}/${name}/`))).toEqual([]);
  });

  it('ledger append on SQLite loads neither the PostgreSQL driver and store nor the YAML parser', async () => {
    const db = `sqlite:${join(tempDir('arbiter-trace-db-'), 'ledger.db')}`;
    const { result, urls, distFiles } = await loads([
      'ledger',
      'append',
      '--db',
      db,
      '--type',
      'note.added',
      '--data',
      '{}',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(distFiles).toContain('store/sqlite/sqlite-store.js');
    expect(distFiles.filter((file) => file.startsWith('store/postgres/'))).toEqual([]);
    expect(urls.filter((url) => /\/node_modules\/pg(-[a-z]+)?\//.test(url))).toEqual([]);
    expect(urls.filter((url) => url.includes('/node_modules/yaml/'))).toEqual([]);
  });
});

describe('help still lists everything', () => {
  it('--help and no arguments list every command, in order', () => {
    const help = arbiter(['--help']);
    expect(help.code).toBe(0);
    const listed = help.stdout
      .split('Commands:\n')[1]!
      .split('\n')
      .filter((line) => /^ {2}\S/.test(line))
      .map((line) => line.trim().split(/\s/)[0]);
    expect(listed).toEqual([...commandNames, 'help']);
    const bare = arbiter([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe(help.stdout);
  });

  it('hook --help lists the agents and install, uninstall, doctor; hook AGENT --help shows its options', () => {
    const help = arbiter(['hook', '--help']);
    expect(help.code).toBe(0);
    for (const name of ['claude-code', 'codex', 'cursor', 'gemini', 'install', 'uninstall', 'doctor'])
      expect(help.stdout).toMatch(new RegExp(`^ {2}${name}\\b`, 'm'));
    const agent = arbiter(['hook', 'claude-code', '--help']);
    expect(agent.code).toBe(0);
    for (const option of ['--url', '--token-env', '--user', '--wait', '--timeout', '--pending'])
      expect(agent.stdout).toContain(option);
  });

  it('an unknown command still gets the suggestion of the one meant', () => {
    const result = arbiter(['polcy']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'polcy'");
    expect(result.stderr).toContain('policy');
  });
});
