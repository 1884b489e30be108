import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arbiter, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `arbiter hook install | uninstall` on real files: the agent's own settings file gains exactly the
 * documented entries, keeps everything else (keys, order, indentation), installing twice is
 * installing once, uninstalling gives back the file as it was, and a file Arbiter cannot read in
 * the documented shape is refused and left untouched.
 */

type Agent = 'claude-code' | 'codex' | 'cursor' | 'gemini';

const projectFile: Record<Agent, string> = {
  'claude-code': '.claude/settings.json',
  codex: '.codex/hooks.json',
  cursor: '.cursor/hooks.json',
  gemini: '.gemini/settings.json',
};

// What install writes into an empty project, from each agent's documented settings shape (see
// src/cli/hook-settings.ts for the sources).
const fresh: Record<Agent, unknown> = {
  'claude-code': {
    hooks: {
      PreToolUse: [
        {
          matcher: '*',
          hooks: [{ type: 'command', command: 'arbiter hook claude-code', timeout: 15, onFailure: 'block' }],
        },
      ],
      PostToolUse: [
        { matcher: '*', hooks: [{ type: 'command', command: 'arbiter hook claude-code', timeout: 15 }] },
      ],
    },
  },
  codex: {
    hooks: {
      PreToolUse: [
        {
          matcher: '*',
          hooks: [
            { type: 'command', command: 'arbiter hook codex', timeout: 15, statusMessage: 'Asking Arbiter' },
          ],
        },
      ],
      PostToolUse: [
        { matcher: '*', hooks: [{ type: 'command', command: 'arbiter hook codex', timeout: 15 }] },
      ],
    },
  },
  cursor: {
    version: 1,
    hooks: {
      preToolUse: [{ command: 'arbiter hook cursor', failClosed: true }],
      postToolUse: [{ command: 'arbiter hook cursor' }],
    },
  },
  gemini: {
    hooks: {
      BeforeTool: [
        {
          matcher: '*',
          hooks: [
            {
              name: 'arbiter',
              type: 'command',
              command: 'arbiter hook gemini',
              timeout: 15000,
              description: 'Arbiter decides whether this tool call may run',
            },
          ],
        },
      ],
      AfterTool: [
        {
          matcher: '*',
          hooks: [
            {
              name: 'arbiter-outcome',
              type: 'command',
              command: 'arbiter hook gemini',
              timeout: 15000,
              description: "Reports the tool call's outcome to Arbiter",
            },
          ],
        },
      ],
    },
  },
};

// Settings a user already has, with their own hooks on the same events, in their own indentation.
const existing: Record<Agent, { indent: string; doc: unknown }> = {
  'claude-code': {
    indent: '    ',
    doc: {
      permissions: { allow: ['Bash(npm test)'], deny: ['Read(./.env)'] },
      hooks: {
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './scripts/guard.sh' }] }],
        Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }],
      },
      model: 'opus',
    },
  },
  codex: {
    indent: '  ',
    doc: {
      hooks: { SessionStart: [{ matcher: 'startup', hooks: [{ type: 'command', command: 'echo hi' }] }] },
    },
  },
  cursor: {
    indent: '\t',
    doc: {
      version: 1,
      hooks: {
        beforeShellExecution: [{ command: './audit.sh' }],
        preToolUse: [{ command: './guard.sh', matcher: 'Shell' }],
      },
    },
  },
  gemini: {
    indent: '  ',
    doc: {
      general: { vimMode: true },
      hooks: {
        disabled: ['secret-scan-old'],
        BeforeTool: [
          { matcher: 'write_file', hooks: [{ name: 'secret-scan', type: 'command', command: './scan.sh' }] },
        ],
      },
    },
  },
};

const agents = Object.keys(projectFile) as Agent[];
const read = (path: string) => readFileSync(path, 'utf8');

// A PATH where `arbiter` is found, as on a machine with Arbiter installed.
const onPath = tempDir('arbiter-path-');
writeFileSync(join(onPath, 'arbiter'), '#!/bin/sh\nexit 2\n', { mode: 0o755 });

describe('arbiter hook install / uninstall', () => {
  it('warns when the hook command is not on PATH, and names a --command that works', () => {
    const dir = tempDir('arbiter-install-');
    const missing = arbiter(['hook', 'install', 'claude-code', '--dir', dir], {
      env: { PATH: tempDir('arbiter-empty-path-') },
    });
    expect(missing.code).toBe(0);
    expect(missing.stderr).toMatch(
      /^warning: arbiter is not on PATH here, so the agent cannot start the hook and every tool call will be blocked: .* install again with --command "(\S+ \S+)"\n$/,
    );
    const suggested = /--command "(\S+ \S+)"/.exec(missing.stderr)![1]!;
    const again = arbiter(['hook', 'install', 'claude-code', '--dir', dir, '--command', suggested], {
      env: { PATH: tempDir('arbiter-empty-path-') },
    });
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain(`run: ${suggested} hook claude-code`);
    // The suggested command is Arbiter: it answers --version.
    const [node, bin] = suggested.split(' ');
    expect(spawnSync(node!, [bin!, '--version'], { encoding: 'utf8' }).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('from a path with spaces, names a --command that the shell keeps whole, and the hook it installs starts', () => {
    // Arbiter cloned under "My Projects": the suggestion, pasted into a shell, must give one word per path.
    const clone = join(tempDir('arbiter-spaces-'), 'My Projects');
    mkdirSync(clone);
    const bin = join(clone, 'arbiter.js');
    symlinkSync(join(repoRoot, 'bin', 'arbiter.js'), bin);
    const dir = tempDir('arbiter-install-');
    const emptyPath = tempDir('arbiter-empty-path-');
    const missing = spawnSync(process.execPath, [bin, 'hook', 'install', 'claude-code', '--dir', dir], {
      encoding: 'utf8',
      env: { ...process.env, PATH: emptyPath },
    });
    expect(missing.status).toBe(0);
    const printed = /install again with --command (.+)\n$/.exec(missing.stderr)?.[1];
    expect(printed, missing.stderr).toBeDefined();
    // As pasted into a shell after the same `arbiter hook install`.
    const again = spawnSync(
      '/bin/sh',
      [
        '-c',
        `exec "$0" "$1" hook install claude-code --dir "$2" --command ${printed}`,
        process.execPath,
        bin,
        dir,
      ],
      { encoding: 'utf8', env: { ...process.env, PATH: emptyPath } },
    );
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    const settings = JSON.parse(read(join(dir, '.claude', 'settings.json')));
    const command: string = settings.hooks.PreToolUse[0].hooks[0].command;
    expect(command).toMatch(/ hook claude-code$/);
    // The agent runs the command with sh: what it starts is this Arbiter.
    const started = spawnSync('/bin/sh', ['-c', command.replace(/ hook claude-code$/, ' --version')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: emptyPath },
    });
    expect(started.stderr).toBe('');
    expect(started.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('finds a --command whose program is a quoted path with spaces (no warning; doctor finds it)', () => {
    const programDir = join(tempDir('arbiter-spaces-'), "Dana's Tools");
    mkdirSync(programDir);
    const program = join(programDir, 'arbiter');
    writeFileSync(
      program,
      `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'bin', 'arbiter.js')}" "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const dir = tempDir('arbiter-install-');
    const env = { PATH: tempDir('arbiter-empty-path-') };
    const quoted = `'${programDir.replace("'", `'\\''`)}/arbiter'`;
    const installed = arbiter(['hook', 'install', 'gemini', '--dir', dir, '--command', quoted], { env });
    expect(installed.stderr).toBe('');
    expect(installed.stdout).toContain(`run: ${quoted} hook gemini`);
    const doctor = arbiter(['hook', 'doctor', 'gemini', '--dir', dir, '--url', 'http://127.0.0.1:9'], {
      env,
    });
    expect(doctor.stdout).toContain(`ok    gemini command: ${program} found`);
  });

  it.each(agents)(
    '%s: a fresh project gets exactly the documented hooks; twice is once; uninstall removes the file it created',
    (agent) => {
      const dir = tempDir('arbiter-install-');
      const path = join(dir, projectFile[agent]);
      const first = arbiter(['hook', 'install', agent, '--dir', dir], { env: { PATH: onPath } });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(path);
      expect(first.stdout).toContain(`arbiter hook doctor ${agent} --dir ${dir}`);
      expect(JSON.parse(read(path))).toEqual(fresh[agent]);
      const bytes = read(path);

      const second = arbiter(['hook', 'install', agent, '--dir', dir]);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('nothing changed');
      expect(read(path)).toBe(bytes);

      const removed = arbiter(['hook', 'uninstall', agent, '--dir', dir]);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toContain(`removed Arbiter's`);
      expect(existsSync(path)).toBe(false);
      const again = arbiter(['hook', 'uninstall', agent, '--dir', dir]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('nothing changed');
      expect(existsSync(path)).toBe(false);
    },
  );

  it.each(agents)(
    '%s: settings already there are kept, and uninstall gives the file back byte for byte',
    (agent) => {
      const dir = tempDir('arbiter-install-');
      const path = join(dir, projectFile[agent]);
      mkdirSync(join(path, '..'), { recursive: true });
      const original = `${JSON.stringify(existing[agent].doc, null, existing[agent].indent)}\n`;
      writeFileSync(path, original);

      expect(arbiter(['hook', 'install', agent, '--dir', dir]).code).toBe(0);
      const installed = JSON.parse(read(path));
      const before = existing[agent].doc as { hooks: Record<string, unknown[]> };
      const ours = fresh[agent] as { hooks: Record<string, unknown[]> };
      // Everything the user had is still there, in place; ours comes after theirs on each event.
      for (const [key, value] of Object.entries(before))
        if (key !== 'hooks') expect(installed[key]).toEqual(value);
      expect(Object.keys(installed)).toEqual([...new Set([...Object.keys(before), 'hooks'])]);
      for (const [event, entries] of Object.entries(before.hooks))
        expect(installed.hooks[event].slice(0, (entries as unknown[]).length)).toEqual(entries);
      for (const [event, entries] of Object.entries(ours.hooks))
        expect(installed.hooks[event].slice(-entries.length)).toEqual(entries);
      expect(read(path).split('\n')[1]).toMatch(new RegExp(`^${existing[agent].indent}\\S`));

      expect(arbiter(['hook', 'uninstall', agent, '--dir', dir]).code).toBe(0);
      expect(read(path)).toBe(original);
    },
  );

  it('installing again with other options replaces the Arbiter hook instead of adding a second one', () => {
    const dir = tempDir('arbiter-install-');
    const path = join(dir, projectFile['claude-code']);
    arbiter(['hook', 'install', 'claude-code', '--dir', dir]);
    const result = arbiter([
      'hook',
      'install',
      'claude-code',
      '--dir',
      dir,
      '--url',
      'https://arbiter.example.com',
      '--token-env',
      'CLAUDE_ARBITER_TOKEN',
      '--wait',
      '5m',
      '--command',
      'npx arbiter',
    ]);
    expect(result.code).toBe(0);
    const settings = JSON.parse(read(path));
    expect(settings.hooks.PreToolUse).toEqual([
      {
        matcher: '*',
        hooks: [
          {
            type: 'command',
            command:
              'npx arbiter hook claude-code --url https://arbiter.example.com --token-env CLAUDE_ARBITER_TOKEN --wait 5m',
            timeout: 315,
            onFailure: 'block',
          },
        ],
      },
    ]);
    expect(settings.hooks.PostToolUse).toHaveLength(1);
    expect(result.stdout).toContain('Next: give the agent CLAUDE_ARBITER_TOKEN');
  });

  it('Claude Code --http writes a type "http" hook whose token comes from an allowed environment variable', () => {
    const dir = tempDir('arbiter-install-');
    const path = join(dir, projectFile['claude-code']);
    const result = arbiter([
      'hook',
      'install',
      'claude-code',
      '--http',
      '--dir',
      dir,
      '--url',
      'http://127.0.0.1:8080/',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(read(path)).hooks.PreToolUse[0].hooks[0]).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:8080/v1/hooks/claude-code',
      headers: { Authorization: 'Bearer $ARBITER_TOKEN' },
      allowedEnvVars: ['ARBITER_TOKEN'],
      timeout: 15,
      onFailure: 'block',
    });
    // Switching back to the command hook replaces it; uninstall removes either kind.
    arbiter(['hook', 'install', 'claude-code', '--dir', dir]);
    expect(JSON.parse(read(path)).hooks.PreToolUse).toEqual((fresh['claude-code'] as any).hooks.PreToolUse);
    expect(arbiter(['hook', 'install', 'codex', '--http', '--dir', dir]).code).toBe(2);
  });

  it("Codex's hooks.json holds only fields Codex's own schema allows (it rejects the file otherwise)", () => {
    // codex-rs/config/src/hook_config.rs: HooksFile is deny_unknown_fields with one field, `hooks`;
    // a MatcherGroup is {matcher, hooks}; a command handler is {type, command, commandWindows,
    // timeout, async, statusMessage}.
    const dir = tempDir('arbiter-install-');
    arbiter(['hook', 'install', 'codex', '--dir', dir, '--wait', '30', '--url', 'http://127.0.0.1:9'], {});
    const file = JSON.parse(read(join(dir, projectFile.codex)));
    expect(Object.keys(file)).toEqual(['hooks']);
    for (const groups of Object.values(file.hooks) as { matcher: string; hooks: object[] }[][])
      for (const group of groups) {
        for (const key of Object.keys(group)) expect(['matcher', 'hooks']).toContain(key);
        for (const handler of group.hooks)
          for (const key of Object.keys(handler))
            expect(['type', 'command', 'commandWindows', 'timeout', 'async', 'statusMessage']).toContain(key);
      }
  });

  it.each([
    [
      'claude-code',
      'cut-off JSON',
      '{\n  "permissions": {\n    "allow": [\n}\n',
      /settings\.json:\d+:\d+: not valid JSON/,
    ],
    ['claude-code', 'hooks as an array', '{"hooks": []}\n', /"hooks" is not an object/],
    [
      'codex',
      'an event that is not a list',
      '{"hooks": {"PreToolUse": {"matcher": "*"}}}\n',
      /"hooks\.PreToolUse" is not an array/,
    ],
    ['cursor', 'an array at the top', '[{"command": "x"}]\n', /not a JSON object/],
    ['gemini', 'JSON with comments', '{\n  // my settings\n  "general": {}\n}\n', /not valid JSON/],
    [
      'gemini',
      'a hook that is not a group',
      '{"hooks": {"BeforeTool": ["./scan.sh"]}}\n',
      /"hooks\.BeforeTool\[0\]" is not a \{matcher, hooks/,
    ],
  ] as const)(
    '%s: a settings file it cannot read (%s) is refused and left untouched',
    (agent, _, text, reason) => {
      const dir = tempDir('arbiter-install-');
      const path = join(dir, projectFile[agent]);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, text);
      for (const verb of ['install', 'uninstall']) {
        const result = arbiter(['hook', verb, agent, '--dir', dir]);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(reason);
        expect(result.stderr).toContain('nothing was changed');
        expect(read(path)).toBe(text);
      }
    },
  );

  it('--user writes under the home directory (Codex under CODEX_HOME when set), through a symlinked file', () => {
    const home = tempDir('arbiter-home-');
    const codexHome = join(home, 'codex-home');
    const env = { HOME: home, CODEX_HOME: codexHome };
    mkdirSync(join(home, 'dotfiles'));
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, 'dotfiles', 'claude.json'), '{"model": "opus"}\n');
    symlinkSync(join(home, 'dotfiles', 'claude.json'), join(home, '.claude', 'settings.json'));
    const where: Record<Agent, string> = {
      'claude-code': join(home, '.claude', 'settings.json'),
      codex: join(codexHome, 'hooks.json'),
      cursor: join(home, '.cursor', 'hooks.json'),
      gemini: join(home, '.gemini', 'settings.json'),
    };
    for (const agent of agents) {
      const result = arbiter(['hook', 'install', agent, '--user'], { env });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`arbiter hook doctor ${agent} --user`);
      expect(JSON.parse(read(where[agent])).hooks).toEqual((fresh[agent] as { hooks: unknown }).hooks);
    }
    expect(lstatSync(where['claude-code']).isSymbolicLink()).toBe(true);
    expect(JSON.parse(read(join(home, 'dotfiles', 'claude.json'))).model).toBe('opus');
    for (const agent of agents) expect(arbiter(['hook', 'uninstall', agent, '--user'], { env }).code).toBe(0);
    expect(realpathSync(where['claude-code'])).toBe(join(home, 'dotfiles', 'claude.json'));
    expect(read(where['claude-code'])).toBe('{\n  "model": "opus"\n}\n');
    for (const agent of ['codex', 'cursor', 'gemini'] as const) expect(existsSync(where[agent])).toBe(false);
  });

  it('refuses what it should not write: an unknown agent, both scopes, a URL with a credential', () => {
    const dir = tempDir('arbiter-install-');
    const cases: [string[], RegExp][] = [
      [['hook', 'install', 'copilot', '--dir', dir], /unknown agent copilot/],
      [['hook', 'install', 'cursor', '--project', '--user', '--dir', dir], /--project or --user, not both/],
      [
        ['hook', 'install', 'cursor', '--dir', dir, '--url', 'https://me:pw@arbiter.example.com'],
        /must not carry credentials/,
      ],
      [
        ['hook', 'install', 'cursor', '--dir', dir, '--token-env', 'NOT-A-NAME'],
        /not an environment variable name/,
      ],
      [['hook', 'install', 'cursor', '--dir', dir, '--wait', 'later'], /--wait later is not a duration/],
    ];
    for (const [args, reason] of cases) {
      const result = arbiter(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(reason);
      expect(result.stderr).not.toContain('pw@');
    }
    expect(existsSync(join(dir, '.cursor'))).toBe(false);
  });
});
