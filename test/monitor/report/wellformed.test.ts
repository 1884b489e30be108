import { describe, expect, it } from 'vitest';
import { bodyRows, count, elementById, scanTags, wellFormednessProblems } from './wellformed.js';

// The report tests lean on this checker, so it must reject what it claims to reject.
describe('wellFormednessProblems (test helper)', () => {
  it('accepts a balanced document with void elements, self-closing SVG children and CSS', () => {
    const html =
      '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><style>a > b { color: red; }</style></head>' +
      '<body><!-- note --><svg viewBox="0 0 1 1"><line x1="0"/><circle r="1"><title>a &lt; b</title></circle></svg>' +
      "<table><tbody><tr><td title='x'>1<br></td></tr></tbody></table></body></html>";
    expect(wellFormednessProblems(html)).toEqual([]);
  });

  it.each([
    ['unclosed-table', '<table><tr><td>1</td></tr>', '<table> at 0 never closed'],
    ['misnested', '<svg><g></svg></g>', '</svg> at 8 closes <g> opened at 5'],
    ['stray-close', '<p></p></p>', '</p> at 7 closes nothing'],
    ['unescaped-lt-in-text', '<p>a <b</p>', "stray '<' at offset 5"],
    ['script-in-text-opens-a-tag', '<p>x <script>alert(1)</script></p>', ''],
    ['unescaped-gt-in-text', '<p>a > b</p>', "unescaped '>' in text"],
    ['quote-in-attribute', '<td title="say "hi"">x</td>', "stray '<'"],
    ['lt-in-attribute', '<td title="a<b">x</td>', "stray '<'"],
    ['closing-void', '<br></br>', 'closing tag for void element </br>'],
    ['unclosed-style', '<style>p {}', 'unclosed <style>'],
  ])('%s', (_, html, problem) => {
    const problems = wellFormednessProblems(html);
    const scripts = scanTags(html).tags.filter((t) => t.name === 'script').length;
    expect(problems.length + scripts).toBeGreaterThan(0);
    if (problem) expect(problems.join('\n')).toContain(problem);
  });

  it('reads attributes, elements by id, rows and counts', () => {
    const html =
      '<table id="t"><tbody><tr class="a"><td>1</td></tr><tr><td>2</td></tr></tbody></table><a href="#x">y</a>';
    expect(scanTags(html).tags.find((t) => t.name === 'a')?.attributes).toEqual({ href: '#x' });
    expect(bodyRows(elementById(html, 'table', 't')!)).toEqual([
      '<tr class="a"><td>1</td></tr>',
      '<tr><td>2</td></tr>',
    ]);
    expect(elementById(html, 'table', 'missing')).toBeUndefined();
    expect(count(html, '<td>')).toBe(2);
  });
});
