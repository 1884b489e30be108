/**
 * A minimal well-formedness check for the report's HTML, written for these tests (no parser
 * dependency): every `<` starts a tag, comment or doctype; attribute values are quoted and contain no
 * stray quote; text contains no `>`; every non-void element is closed in order (SVG children may
 * self-close); the raw text of <style> is skipped.
 */

const voidElements = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'track',
  'wbr',
]);

const attribute = String.raw`\s+[^\s"'<>/=]+(?:="[^"<]*"|='[^'<]*')?`;
const tagPattern = new RegExp(String.raw`<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:${attribute})*)\s*(/?)>`, 'y');
const doctypePattern = /<!DOCTYPE html>/iy;
const commentPattern = /<!--[\s\S]*?-->/y;

export interface Tag {
  name: string;
  closing: boolean;
  selfClosing: boolean;
  attributes: Record<string, string>;
  /** Offset of the `<`. */
  at: number;
}

/** The tags of `html` in order, or the problems that stop it from being read as tags. */
export function scanTags(html: string): { tags: Tag[]; problems: string[] } {
  const tags: Tag[] = [];
  const problems: string[] = [];
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const text = html.slice(i, lt === -1 ? html.length : lt);
    if (text.includes('>')) problems.push(`unescaped '>' in text near offset ${i + text.indexOf('>')}`);
    if (lt === -1) break;
    i = lt;
    doctypePattern.lastIndex = i;
    commentPattern.lastIndex = i;
    tagPattern.lastIndex = i;
    const doctype = doctypePattern.exec(html);
    if (doctype) {
      i += doctype[0].length;
      continue;
    }
    const comment = commentPattern.exec(html);
    if (comment) {
      i += comment[0].length;
      continue;
    }
    const tag = tagPattern.exec(html);
    if (!tag) {
      problems.push(`stray '<' at offset ${i}: ${JSON.stringify(html.slice(i, i + 40))}`);
      i += 1;
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const match of (tag[3] ?? '').matchAll(/\s+([^\s"'<>/=]+)(?:="([^"]*)"|='([^']*)')?/g))
      attributes[match[1]!.toLowerCase()] = match[2] ?? match[3] ?? '';
    const name = tag[2]!.toLowerCase();
    tags.push({ name, closing: tag[1] === '/', selfClosing: tag[4] === '/', attributes, at: i });
    i += tag[0].length;
    if (name === 'style' && tag[1] !== '/') {
      const end = html.toLowerCase().indexOf('</style>', i);
      if (end === -1) {
        problems.push('unclosed <style>');
        break;
      }
      i = end;
    }
  }
  return { tags, problems };
}

/** Problems that make `html` not well formed; empty when it is. */
export function wellFormednessProblems(html: string): string[] {
  const { tags, problems } = scanTags(html);
  const stack: Tag[] = [];
  for (const tag of tags) {
    if (tag.closing) {
      if (voidElements.has(tag.name)) {
        problems.push(`closing tag for void element </${tag.name}> at ${tag.at}`);
        continue;
      }
      const open = stack.pop();
      if (!open) problems.push(`</${tag.name}> at ${tag.at} closes nothing`);
      else if (open.name !== tag.name)
        problems.push(`</${tag.name}> at ${tag.at} closes <${open.name}> opened at ${open.at}`);
    } else if (!tag.selfClosing && !voidElements.has(tag.name)) stack.push(tag);
  }
  for (const open of stack) problems.push(`<${open.name}> at ${open.at} never closed`);
  return problems;
}

/** The outer HTML of the element with this id (elements of one name must not nest, as svg and table here). */
export function elementById(html: string, name: string, id: string): string | undefined {
  const start = html.indexOf(`<${name} id="${id}"`);
  if (start === -1) return undefined;
  const end = html.indexOf(`</${name}>`, start);
  return end === -1 ? undefined : html.slice(start, end + name.length + 3);
}

/** Non-overlapping occurrences of `needle`. */
export function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** The `<tr>…</tr>` rows inside `<tbody>` of a table's outer HTML. */
export function bodyRows(table: string): string[] {
  const body = table.slice(table.indexOf('<tbody>'), table.indexOf('</tbody>'));
  return body.match(/<tr[\s>][\s\S]*?<\/tr>/g) ?? [];
}
