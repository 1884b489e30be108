import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

/**
 * The README and docs/*.md are what a newcomer follows: every relative link must reach a file of
 * the repository and, with a `#fragment`, a heading of that file (GitHub's anchor for it).
 */

const pages = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown outside fenced code blocks: links inside code are examples, not links. */
const prose = (path: string) => readFileSync(join(repoRoot, path), 'utf8').replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered -1, -2, … */
function anchors(path: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of prose(path).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

describe('links in the README and docs/', () => {
  it('finds the pages it checks', () => {
    expect(pages.length).toBeGreaterThan(10);
  });

  it.each(pages)('%s: every relative link reaches a file, and a heading when it names one', (page) => {
    const broken: string[] = [];
    for (const [, href] of prose(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z+.-]*:/i.test(href!)) continue;
      const [path, fragment] = href!.split('#');
      const target = path ? resolve(dirname(join(repoRoot, page)), path) : join(repoRoot, page);
      if (!existsSync(target)) broken.push(`${href}: no file ${relative(repoRoot, target)}`);
      else if (fragment && statSync(target).isFile() && target.endsWith('.md')) {
        if (!anchors(relative(repoRoot, target)).has(fragment))
          broken.push(`${href}: no heading #${fragment} in ${relative(repoRoot, target)}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
