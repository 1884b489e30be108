import sh from 'mvdan-sh';
import type { ShellSyntax } from '../../hooks/shell-facts.js';

/**
 * mvdan/sh's bash parser (the `mvdan-sh` build by its author: synchronous, the full typed syntax
 * tree). `sh-syntax`, its WebAssembly successor, was tried first: its JSON tree (0.7.0) drops every
 * command node's contents (`Cmd: {}`), so it cannot yield facts, and it instantiates a WebAssembly
 * module per call.
 */
export function bashSyntax(): ShellSyntax {
  const { syntax } = sh;
  const parser = syntax.NewParser(syntax.KeepComments(false), syntax.Variant(syntax.LangBash));
  return {
    parse: (source) => parser.Parse(source, ''),
    nodeType: (node) => syntax.NodeType(node),
    walk: (node, visit) => syntax.Walk(node, visit),
  };
}
