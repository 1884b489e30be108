import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type Scalar,
} from 'yaml';
import type { LoadProblem } from './problems.js';

/** A file as read from disk: its path as shown to the user, and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** One YAML document of a file, with what is needed to point back into its source. */
export interface SourceDocument {
  file: string;
  /** 0-based position of the document in its file. */
  index: number;
  value: unknown;
  locator: Locator;
}

/** Limits that keep a hostile or broken file from exhausting memory at load. */
export const yamlLimits = { maxFileBytes: 1_048_576, maxDocumentsPerFile: 500, maxAliasCount: 100 } as const;

export interface Position {
  line: number;
  col: number;
}

/** Parses every document of a YAML file, reporting syntax errors and limit breaches with positions. */
export function parseYamlFile(source: SourceFile): { documents: SourceDocument[]; problems: LoadProblem[] } {
  const problems: LoadProblem[] = [];
  const byteLength = Buffer.byteLength(source.text, 'utf8');
  if (byteLength > yamlLimits.maxFileBytes) {
    problems.push({
      file: source.path,
      line: 1,
      col: 1,
      code: 'ARB_ERR_POLICY_YAML_LIMIT',
      message: `file is ${byteLength} bytes; policy files are limited to ${yamlLimits.maxFileBytes}`,
    });
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
  if (yamlDocuments.length > yamlLimits.maxDocumentsPerFile) {
    problems.push({
      file: source.path,
      line: 1,
      col: 1,
      code: 'ARB_ERR_POLICY_YAML_LIMIT',
      message: `file holds ${yamlDocuments.length} documents; at most ${yamlLimits.maxDocumentsPerFile} are allowed`,
    });
    return { documents: [], problems };
  }
  const documents: SourceDocument[] = [];
  yamlDocuments.forEach((document, index) => {
    const errors = [...document.errors];
    if (errors.length > 0) {
      for (const error of errors) {
        const at = lines.linePos(error.pos[0]);
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
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: yamlLimits.maxAliasCount });
    } catch (error) {
      const at = lines.linePos(document.contents.range?.[0] ?? 0);
      problems.push({
        file: source.path,
        line: at.line,
        col: at.col,
        code: 'ARB_ERR_POLICY_YAML_LIMIT',
        message: `YAML: ${firstLine(error instanceof Error ? error.message : String(error))}`,
      });
      return;
    }
    documents.push({ file: source.path, index, value, locator: new Locator(source.text, document, lines) });
  });
  return { documents, problems };
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
