import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type Scalar,
} from 'yaml';
import { textProblem } from '../core/json.js';
import { defaultYamlLimits, type YamlLimits } from './limits.js';
import type { LoadProblem } from './problems.js';

/** A file as read from disk: its path as shown to the user, and its text. */
export interface SourceFile {
  path: string;
  text: string;
  /** Set when the file was too large to read: its size on disk (`text` is then empty). */
  byteLength?: number;
}

/** One YAML document of a file, with what is needed to point back into its source. */
export interface SourceDocument {
  file: string;
  /** 0-based position of the document in its file. */
  index: number;
  value: unknown;
  locator: Locator;
}

/** Limits that keep a hostile or broken file from exhausting memory at load (see limits.ts). */
export const yamlLimits: YamlLimits = defaultYamlLimits;

export interface Position {
  line: number;
  col: number;
}

/** Parses every document of a YAML file, reporting syntax errors and limit breaches with positions. */
export function parseYamlFile(
  source: SourceFile,
  limits: YamlLimits = defaultYamlLimits,
): { documents: SourceDocument[]; problems: LoadProblem[] } {
  const problems: LoadProblem[] = [];
  const limit = (line: number, col: number, message: string) =>
    problems.push({ file: source.path, line, col, code: 'ARB_ERR_POLICY_YAML_LIMIT', message });
  // Measured before parsing: the byte count is cheap and bounds everything that follows.
  const byteLength = source.byteLength ?? Buffer.byteLength(source.text, 'utf8');
  if (byteLength > limits.maxFileBytes) {
    limit(1, 1, `file is ${byteLength} bytes; policy files are limited to ${limits.maxFileBytes}`);
    return { documents: [], problems };
  }
  const lines = new LineCounter();
  const parsed = parseAllDocuments(source.text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    merge: false,
  });
  const yamlDocuments = Array.isArray(parsed) ? parsed : [];
  if (yamlDocuments.length > limits.maxDocumentsPerFile) {
    limit(
      1,
      1,
      `file holds ${yamlDocuments.length} documents; at most ${limits.maxDocumentsPerFile} are allowed`,
    );
    return { documents: [], problems };
  }
  const documents: SourceDocument[] = [];
  yamlDocuments.forEach((document, index) => {
    const errors = [...document.errors];
    if (errors.length > 0) {
      for (const error of errors) {
        const at = lines.linePos(error.pos[0]);
        // The parser turns a stack overflow on absurd nesting into a document error.
        if (error.message.includes('Maximum call stack size exceeded')) {
          limit(at.line, at.col, `YAML: nesting is deeper than ${limits.maxDepth} levels`);
          continue;
        }
        problems.push({
          file: source.path,
          line: at.line,
          col: at.col,
          code: 'ARB_ERR_POLICY_YAML_SYNTAX',
          message: `YAML: ${firstLine(error.message)}`,
        });
      }
      return;
    }
    if (document.contents === null) return;
    const shape = nodeShape(document.contents, limits.maxDepth);
    if (shape.tooDeep) {
      const at = lines.linePos(shape.tooDeep);
      limit(at.line, at.col, `YAML: nesting is deeper than ${limits.maxDepth} levels`);
      return;
    }
    if (shape.badText) {
      // YAML's "\0" and "\uD800" escapes write text no request may carry (core/json.ts textProblem):
      // PostgreSQL cannot store U+0000, and a lone surrogate is not Unicode. The document is not loaded.
      const at = lines.linePos(shape.badText.offset);
      problems.push({
        file: source.path,
        line: at.line,
        col: at.col,
        code: 'ARB_ERR_POLICY_TEXT',
        message: `this string ${shape.badText.problem}`,
      });
      return;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (error) {
      // Reported at the first alias: an expansion bomb is built from them.
      const at = lines.linePos(shape.firstAlias ?? document.contents.range?.[0] ?? 0);
      limit(
        at.line,
        at.col,
        `YAML: ${firstLine(error instanceof Error ? error.message : String(error))} (at most ${limits.maxAliasCount} alias expansions per document)`,
      );
      return;
    }
    documents.push({ file: source.path, index, value, locator: new Locator(source.text, document, lines) });
  });
  return { documents, problems };
}

/**
 * Walks the node tree without recursion: the offset of the first node nested deeper than
 * `maxDepth` (undefined when none is), and of the first alias.
 */
function nodeShape(
  root: unknown,
  maxDepth: number,
): { tooDeep?: number; firstAlias?: number; badText?: { offset: number; problem: string } } {
  const out: { tooDeep?: number; firstAlias?: number; badText?: { offset: number; problem: string } } = {};
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isScalar(node) && typeof node.value === 'string') {
      const problem = textProblem(node.value);
      const offset = node.range?.[0] ?? 0;
      if (problem && (out.badText === undefined || offset < out.badText.offset))
        out.badText = { offset, problem };
      continue;
    }
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      if (out.firstAlias === undefined || offset < out.firstAlias) out.firstAlias = offset;
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= maxDepth) {
      out.tooDeep = node.range?.[0] ?? 0;
      return out;
    }
    for (const item of node.items) {
      if (isPair(item)) {
        stack.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
      } else {
        stack.push({ node: item, depth: depth + 1 });
      }
    }
  }
  return out;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

/** Maps paths inside a parsed document (and offsets inside its CEL strings) to line and column. */
export class Locator {
  constructor(
    private readonly text: string,
    private readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * The position of the node at `path`, or of its nearest existing ancestor when the path does
   * not exist (a missing field is reported where its parent is). With `key`, the position of the
   * map key that names the node, which is where an unknown field is best reported.
   */
  at(path: readonly (string | number)[], options: { key?: boolean } = {}): Position {
    let node: unknown = this.document.contents;
    let keyNode: Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        keyNode = undefined;
        node = node.items[segment];
      } else {
        break;
      }
    }
    const target = options.key && keyNode ? keyNode : (node as Node | null);
    return this.position(target?.range?.[0] ?? this.document.range?.[0] ?? 0);
  }

  /**
   * The position of character `offset` of the string scalar at `path`: exact for plain and quoted
   * single-line scalars and for block scalars (`|`, `>`), otherwise the scalar's start.
   */
  inString(path: readonly (string | number)[], offset: number): Position {
    const node = this.document.getIn(path, true);
    if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return this.at(path);
    const start = node.range[0];
    const scalar = node as Scalar<string>;
    const before = scalar.value.slice(0, offset);
    const lineIndex = before.split('\n').length - 1;
    const colInLine = before.length - before.lastIndexOf('\n') - 1;
    switch (scalar.type) {
      case 'PLAIN':
      case 'QUOTE_DOUBLE':
      case 'QUOTE_SINGLE': {
        if (lineIndex > 0 || scalar.value.includes('\\')) return this.position(start);
        return this.position(start + (scalar.type === 'PLAIN' ? 0 : 1) + colInLine);
      }
      case 'BLOCK_LITERAL':
      case 'BLOCK_FOLDED': {
        const header = this.lines.linePos(start).line;
        const rawLines = this.text.slice(start, node.range[1]).split('\n').slice(1);
        const indent = Math.min(
          ...rawLines
            .filter((line) => line.trim() !== '')
            .map((line) => line.length - line.trimStart().length),
        );
        if (!Number.isFinite(indent) || scalar.type === 'BLOCK_FOLDED') {
          return scalar.type === 'BLOCK_FOLDED' && Number.isFinite(indent)
            ? this.foldedPosition(header, rawLines, indent, offset, scalar.value)
            : this.position(start);
        }
        return { line: header + 1 + lineIndex, col: indent + colInLine + 1 };
      }
      default:
        return this.position(start);
    }
  }

  /** Folded scalars join source lines with spaces; walk the source lines to find the offset. */
  private foldedPosition(
    header: number,
    rawLines: string[],
    indent: number,
    offset: number,
    value: string,
  ): Position {
    let consumed = 0;
    for (let i = 0; i < rawLines.length; i++) {
      const content = (rawLines[i] ?? '').slice(indent);
      if (offset <= consumed + content.length)
        return { line: header + 1 + i, col: indent + (offset - consumed) + 1 };
      consumed += content.length + 1;
      if (consumed > value.length) break;
    }
    return { line: header + 1, col: indent + 1 };
  }

  private position(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }
}
