/**
 * The bounds that keep a hostile policy file or a hostile request from exhausting the process.
 * Load-time bounds reject a bundle with `file:line:col`; run-time bounds make the expression fail,
 * and a failing rule fails closed (docs/policies.md, "Limits" and "Fail closed").
 */

/** Bounds on YAML files, checked while parsing. */
export interface YamlLimits {
  /** Bytes per file; a larger file is not parsed at all. */
  readonly maxFileBytes: number;
  /** YAML documents (`---`) per file. */
  readonly maxDocumentsPerFile: number;
  /** Alias expansions per document: what stops "billion laughs" (`yaml`'s `maxAliasCount`). */
  readonly maxAliasCount: number;
  /** Nesting of mappings and sequences; deeper documents would overflow recursive walkers. */
  readonly maxDepth: number;
}

export const defaultYamlLimits: YamlLimits = Object.freeze({
  maxFileBytes: 1_048_576,
  maxDocumentsPerFile: 500,
  maxAliasCount: 100,
  maxDepth: 64,
});

/** Bounds on CEL expressions: the first group is checked at load, the second while evaluating. */
export const celLimits = Object.freeze({
  /** Characters of one expression. */
  maxExpressionLength: 4_096,
  /** Parser nodes of one expression (cel-js `maxAstNodes`). */
  maxAstNodes: 2_000,
  /** Nesting of calls, selections, indexes and literals (cel-js `maxDepth`). */
  maxDepth: 32,
  /** Elements of a list literal / entries of a map literal (cel-js `maxListElements`, `maxMapEntries`). */
  maxLiteralElements: 256,
  /** Comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`) nested inside one another. */
  maxComprehensionNesting: 3,
  /**
   * Nested `cel.bind`: each level may double what the one outside it holds (`cel.bind(b, a + a, …)`),
   * so nesting is growth by powers of two that no node count sees. Four levels is at most 16×.
   */
  maxBindNesting: 4,
  /** Characters of a `matches` pattern, literal or computed. */
  maxPatternLength: 1_024,
  /** Size of a compiled RE2 program (`RE2JS.programSize()`), literal or computed. */
  maxPatternProgramSize: 5_000,

  /** Comprehension steps of one evaluation, nested ones included: the deterministic cost bound. */
  maxIterations: 100_000,
  /**
   * Wall-clock milliseconds one evaluation may spend iterating: a backstop for steps that are each
   * expensive (`x in hugeList` inside a comprehension). Far above what any real rule needs.
   */
  maxIterationMs: 100,
  /**
   * What the `matches` calls of one evaluation may cost, in characters scanned × RE2 instructions,
   * charged before each runs. re2js's DFA and NFA do up to that many state or thread steps; at the
   * budget a dense pattern built to defeat the DFA (`(?:a?){1000}a{1000}$`) was measured at
   * ~0.6 s at worst, real patterns at milliseconds. It admits an 80-instruction secret scanner
   * over 300,000 characters.
   */
  maxMatchesCost: 25_000_000,
  /** Characters one `matches` may scan, whatever the pattern. */
  maxMatchesTextLength: 1_048_576,
  /** Elements of a list or map a variable may hold, and characters of a string it may hold. */
  maxVariableElements: 100_000,
  maxVariableStringLength: 1_048_576,
  /** Characters of a message produced by a messageExpression; longer ones are cut. */
  maxMessageLength: 2_000,
});
