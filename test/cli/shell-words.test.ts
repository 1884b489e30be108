import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { firstShellWord, shellArgument, shellWord } from '../../src/cli/shell-words.js';

// The words `arbiter hook install` writes for sh and prints for the user, read back as sh reads them.
const hostile = [
  'arbiter',
  '/home/x/My Projects/arbiter/bin/arbiter.js',
  "/home/dana's code/arbiter",
  'a "quoted" $HOME `date` \\ back!slash',
  'tab\tand\nnewline',
  '',
];

/** What sh gives as the first argument of `printf %s <line>`. */
function shSays(line: string): string {
  return spawnSync('/bin/sh', ['-c', `printf %s ${line}`], { encoding: 'utf8' }).stdout;
}

describe('shell words', () => {
  it.each(hostile)('sh reads shellWord and shellArgument of %j as the word itself', (word) => {
    if (word !== '') expect(shSays(shellWord(word))).toBe(word);
    expect(shSays(shellArgument(`${shellWord(word || 'x')} --version`))).toBe(
      `${shellWord(word || 'x')} --version`,
    );
  });

  it.each(hostile.filter((word) => word !== ''))(
    'firstShellWord takes %j back from a command line',
    (word) => {
      expect(firstShellWord(`  ${shellWord(word)} hook claude-code --url 'http://a b'`)).toBe(word);
    },
  );

  it('reads double quotes, backslashes and words quoted in parts as sh does', () => {
    for (const line of [
      '"/opt/My Tools/arbiter" hook codex',
      '/opt/My\\ Tools/arbiter hook codex',
      "/opt/'My Tools'/arbiter hook codex",
      '"/opt/a \\"b\\" \\$c"/arbiter',
      "'unterminated quote",
    ])
      expect(firstShellWord(line), line).toBe(
        line.startsWith("'unterminated") ? 'unterminated quote' : shSays(line.split(/ hook /)[0]!),
      );
  });
});
