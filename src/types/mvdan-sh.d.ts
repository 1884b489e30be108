/** The part of mvdan-sh (mvdan/sh compiled with GopherJS) Arbiter uses: parse, walk, node types. */
declare module 'mvdan-sh' {
  // biome-ignore lint/suspicious/noExplicitAny: GopherJS objects, typed by syntax.NodeType.
  type Node = any;
  interface Parser {
    /** Throws a ParseError object (with `Text`) on invalid syntax. */
    Parse(source: string, name: string): Node;
  }
  const sh: {
    syntax: {
      NewParser(...options: unknown[]): Parser;
      NodeType(node: Node): string;
      Walk(node: Node, visit: (node: Node | null) => boolean): void;
      KeepComments(keep: boolean): unknown;
      Variant(variant: unknown): unknown;
      LangBash: unknown;
    };
  };
  export default sh;
}
