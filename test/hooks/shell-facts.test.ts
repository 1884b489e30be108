import { describe, expect, it } from 'vitest';
import { defaultShellLimits, shellFacts } from '../../src/hooks/shell-facts.js';
import { shellCorpus } from '../fixtures/hooks/shell-corpus.js';
import { syntax } from './fixtures.js';

describe('shell facts', () => {
  it('holds at least 200 real-world command lines, evasions included', () => {
    expect(shellCorpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(shellCorpus.map((entry) => entry.command)).size).toBe(shellCorpus.length);
  });

  for (const entry of shellCorpus) {
    it(`reads ${JSON.stringify(entry.command)}`, () => {
      const facts = shellFacts(entry.command, syntax);
      expect(facts.commands.map((command) => command.program)).toEqual(entry.programs);
      expect(facts.opaque).toBe(entry.opaque);
      if (entry.reasons) expect(facts.opaqueReasons).toEqual(entry.reasons);
      expect(facts.raw).toBe(entry.command);
    });
  }

  it('keeps every argument and redirect, quoting undone', () => {
    const facts = shellFacts(`FOO=1 g''it push --force origin "main" > out.txt 2>&1 < in.txt`, syntax);
    expect(facts.commands).toEqual([
      {
        program: 'git',
        argv: ['git', 'push', '--force', 'origin', 'main'],
        redirects: [
          { op: '>', target: 'out.txt' },
          { op: '2>&', target: '1' },
          { op: '<', target: 'in.txt' },
        ],
      },
    ]);
    expect(facts.opaque).toBe(false);
  });

  it('unwraps sudo, env, timeout and nohup to the program and its own arguments', () => {
    const [command] = shellFacts(
      'sudo -u deploy env A=1 timeout -k 5 30 nohup kubectl delete ns prod',
      syntax,
    ).commands;
    expect(command).toEqual({ program: 'kubectl', argv: ['kubectl', 'delete', 'ns', 'prod'], redirects: [] });
  });

  it.each([
    ['setsid -f rm -rf /', ['rm']],
    ['chroot --userspec=1:1 /srv/jail rm -rf /', ['rm']],
    ['runuser -u root -- rm -rf /', ['rm']],
    ['strace -f -o /tmp/t rm -rf /', ['rm']],
    ['flock -w 5 /tmp/lock rm -rf /', ['rm']],
    // -c STRING is a command line for the shell, read like bash -c.
    ["su -c 'rm -rf /'", ['su', 'rm']],
    ["su - root --command 'rm -rf /'", ['su', 'rm']],
    ["runuser -u root -c 'rm -rf /'", ['runuser', 'rm']],
    ["flock /tmp/lock -c 'rm -rf /'", ['flock', 'rm']],
  ])('unwraps %j to the command it runs', (line, programs) => {
    const facts = shellFacts(line, syntax);
    expect(facts.commands.map((command) => command.program)).toEqual(programs);
    expect(facts.commands.at(-1)!.argv).toEqual(['rm', '-rf', '/']);
  });

  it('marks inline interpreter code: the program is known, the code is not', () => {
    const facts = shellFacts(`python3 -c 'import os; os.system("rm -rf /")'`, syntax);
    expect(facts.commands).toEqual([
      {
        program: 'python3',
        argv: ['python3', '-c', 'import os; os.system("rm -rf /")'],
        redirects: [],
        inlineCode: true,
      },
    ]);
    expect(facts.opaqueReasons).toEqual(['inline-code']);
  });

  describe('hostile command lines: opaque, never a crash', () => {
    it('does not parse a line over the size limit', () => {
      const huge = `echo ${'a'.repeat(defaultShellLimits.maxLength)}`;
      expect(shellFacts(huge, syntax)).toEqual({
        raw: huge,
        commands: [],
        opaque: true,
        opaqueReasons: ['too-large'],
      });
    });

    it('stops following nested shells past the depth limit', () => {
      let line = 'git push -f';
      for (let i = 0; i < defaultShellLimits.maxDepth + 2; i++) line = `bash -c ${JSON.stringify(line)}`;
      const facts = shellFacts(line, syntax);
      expect(facts.opaqueReasons).toEqual(['too-deep']);
      expect(facts.commands.every((command) => command.program === 'bash')).toBe(true);
    });

    it('survives nesting deep enough to overflow the parser', () => {
      const deep = `echo ${'$('.repeat(3000)}x${')'.repeat(3000)}`;
      const facts = shellFacts(deep, { ...syntax }, { ...defaultShellLimits, maxLength: 1_000_000 });
      expect(facts.opaque).toBe(true);
      expect(facts.opaqueReasons).toContain('too-deep');
    });

    it('records at most the command limit', () => {
      const many = Array.from({ length: 300 }, (_, i) => `echo ${i}`).join('; ');
      const facts = shellFacts(many, syntax);
      expect(facts.commands).toHaveLength(defaultShellLimits.maxCommands);
      expect(facts.opaqueReasons).toEqual(['too-many-commands']);
    });

    it('calls invalid syntax opaque', () => {
      for (const line of ['echo "x', 'if then', '$(', 'a && && b', 'ls |'])
        expect(shellFacts(line, syntax).opaque, line).toBe(true);
    });
  });
});
