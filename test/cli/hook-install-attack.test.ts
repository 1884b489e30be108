import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellArgument, shellWord } from '../../src/cli/shell-words.js';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

// `arbiter hook install` run from a clone whose path an attacker chose (a shared machine, a
// repository unpacked from an archive): the --command it suggests is pasted into the user's shell,
// and the command it installs is run by the agent's sh before every tool call. Neither may run
// anything the path spells.

const shells = ['/bin/sh', '/usr/bin/bash', '/usr/bin/dash'].filter((shell) => existsSync(shell));

/** Directory names that are shell syntax; each would create `pwned` in the cwd if it ran. */
const hostileNames = [
  'x$(touch pwned)y',
  'x`touch pwned`y',
  "x';touch pwned;'y",
  'x";touch pwned;"y',
  'x\ntouch pwned\ny',
  'x && touch pwned #',
  'x | touch pwned',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${…}, not a template
  'x$((1+1))${IFS}!!y',
  'x\\";touch pwned;\\"y',
  'Mes projets — été ✓',
];

describe('hook install from a clone with a hostile path', () => {
  it.each(hostileNames)(
    'the suggested and the installed command run Arbiter and nothing else: %j',
    (name) => {
      const parent = tempDir('arbiter-hostile-');
      const clone = join(parent, name);
      mkdirSync(clone);
      const bin = join(clone, 'arbiter.js');
      symlinkSync(join(repoRoot, 'bin', 'arbiter.js'), bin);
      const emptyPath = tempDir('arbiter-empty-path-');
      const env = { ...process.env, PATH: emptyPath };
      const cwd = tempDir('arbiter-cwd-');
      const dir = tempDir('arbiter-install-');
      const missing = spawnSync(process.execPath, [bin, 'hook', 'install', 'claude-code', '--dir', dir], {
        cwd,
        encoding: 'utf8',
        env,
      });
      expect(missing.status, missing.stderr).toBe(0);
      const printed = /install again with --command ([\s\S]+)\n$/.exec(missing.stderr)?.[1];
      expect(printed, missing.stderr).toBeDefined();
      for (const shell of shells) {
        // Pasted into the user's shell after the same `arbiter hook install`.
        const again = spawnSync(
          shell,
          [
            '-c',
            `exec "$0" "$1" hook install claude-code --dir "$2" --command ${printed}`,
            process.execPath,
            bin,
            dir,
          ],
          { cwd, encoding: 'utf8', env },
        );
        expect([shell, again.status, again.stderr]).toEqual([shell, 0, '']);
        const settings = JSON.parse(readFileSync(join(dir, '.claude', 'settings.json'), 'utf8'));
        const command: string = settings.hooks.PreToolUse[0].hooks[0].command;
        // The agent runs it with sh: what starts is this Arbiter, given exactly these arguments.
        const started = spawnSync('/bin/sh', ['-c', command.replace(/ hook claude-code$/, ' --version')], {
          cwd,
          encoding: 'utf8',
          env,
        });
        expect([shell, started.stderr, started.stdout]).toEqual([
          shell,
          '',
          expect.stringMatching(/^\d+\.\d+\.\d+\n$/),
        ]);
      }
      expect(existsSync(join(cwd, 'pwned'))).toBe(false);
    },
  );

  it('shellArgument of any quoted command line is that line to sh, bash and dash', () => {
    // Every character that means something to a shell, in random words (seeded: reproducible).
    const alphabet = ` \t\n'"\\$\`!;&|<>(){}[]*?~#=%^,.:/-_aZ9é✓`;
    let seed = 22;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const words = Array.from({ length: 1 + random(3) }, () =>
        Array.from({ length: 1 + random(12) }, () => alphabet[random(alphabet.length)]).join(''),
      );
      const line = words.map(shellWord).join(' ');
      for (const shell of shells) {
        const read = spawnSync(shell, ['-c', `printf '%s' ${shellArgument(line)}`], { encoding: 'utf8' });
        expect([shell, read.stdout], JSON.stringify(words)).toEqual([shell, line]);
        const split = spawnSync('/bin/sh', ['-c', `printf '<%s>' ${read.stdout}`], { encoding: 'utf8' });
        expect(split.stdout, JSON.stringify(words)).toBe(words.map((word) => `<${word}>`).join(''));
      }
    }
  });
});
