import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

/**
 * The README's tour shows terminal sessions: `$ command` lines, each followed by what it prints.
 * These sessions are run, in order, in a fresh directory beside `examples/`, and what they print is
 * compared with what the README shows. In the README's output, `…` inside a line stands for any
 * text and a line of `…` alone for any lines; a command shown without output is run, not compared.
 */

interface Step {
  command: string;
  shown: string[];
}

/** The sessions of the README's `sh` blocks, by their first command. */
function sessions(markdown: string): Map<string, Step[]> {
  const result = new Map<string, Step[]>();
  for (const [, body] of markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    const lines = body!.split('\n').slice(0, -1);
    if (!lines[0]?.startsWith('$ ')) continue;
    const steps: Step[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line.startsWith('$ ')) {
        steps.at(-1)!.shown.push(line);
        continue;
      }
      let command = line.slice(2);
      const heredoc = /<<'?(\w+)'?/.exec(command)?.[1];
      while (heredoc ? lines[i] !== heredoc : command.endsWith('\\')) command += `\n${lines[++i]}`;
      steps.push({ command, shown: [] });
    }
    // A blank line separates one command's output from the next command.
    for (const step of steps) while (step.shown.at(-1) === '') step.shown.pop();
    result.set(steps[0]!.command.split('\n')[0]!, steps);
  }
  return result;
}

/** Whether `actual` reads as `shown`, with the README's `…` elisions. */
function reads(shown: string[], actual: string[]): boolean {
  if (shown.length === 0) return actual.length === 0;
  const [first, ...rest] = shown;
  if (first!.trim() === '…') return actual.some((_, i) => reads(rest, actual.slice(i))) || reads(rest, []);
  const pattern = new RegExp(
    `^${first!
      .trimEnd()
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return actual.length > 0 && pattern.test(actual[0]!.trimEnd()) && reads(rest, actual.slice(1));
}

const readme = sessions(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
const bin = join(repoRoot, 'bin', 'arbiter.js');

describe("the README's terminal sessions print what the README shows", () => {
  it.each([
    'npx arbiter policy lint examples/policies',
    "cat > request.json <<'JSON'",
    `npx arbiter ledger append --type note.added --data '{"hello":"world"}'`,
  ])('$ %s …', (first) => {
    const steps = readme.get(first);
    expect(steps, `a README session starting with $ ${first}`).toBeDefined();
    const dir = tempDir('arbiter-readme-');
    symlinkSync(join(repoRoot, 'examples'), join(dir, 'examples'));
    for (const { command, shown } of steps!) {
      const run = spawnSync(
        'bash',
        ['-c', command.replaceAll('npx arbiter ', `"${process.execPath}" ${bin} `)],
        {
          cwd: dir,
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(run.status, `$ ${command}\n${run.stderr}`).not.toBeNull();
      expect(run.status, `$ ${command}\n${run.stderr}`).toBeLessThan(2);
      if (shown.length === 0) continue;
      const actual = run.stdout.trimEnd().split('\n');
      expect(
        reads(shown, actual),
        `$ ${command}\nshows:\n${shown.join('\n')}\nprints:\n${actual.join('\n')}`,
      ).toBe(true);
    }
  });

  it('reads `…` as the README means it', () => {
    expect(reads(['a', '…', 'z'], ['a', 'b', 'c', 'z'])).toBe(true);
    expect(reads(['a', '…', 'z'], ['a', 'z'])).toBe(true);
    expect(reads(['ok: 1 entries, root …'], ['ok: 1 entries, root abc='])).toBe(true);
    expect(reads(['ok: 2 entries, root …'], ['ok: 1 entries, root abc='])).toBe(false);
    expect(reads(['a', 'b'], ['a', 'b', 'c'])).toBe(false);
    expect(reads(['a (b)'], ['a (b)'])).toBe(true);
  });
});
