/**
 * Shell commands as facts: every simple command a command line runs — in pipelines, lists,
 * subshells, blocks, loops, functions, substitutions and nested `bash -c` / `eval` strings — with
 * its real program (wrappers such as `env`, `sudo`, `timeout` and `xargs` unwrapped) and whether
 * the line can be known statically at all (`opaque`). Pure: the parser is a port (the server
 * passes mvdan/sh, see src/app/hooks/shell-parser.ts).
 */

/** A node of the parser's syntax tree (mvdan/sh's field names: Stmts, Cmd, Args, Parts…). */
// biome-ignore lint/suspicious/noExplicitAny: the parser's nodes are typed by their NodeType.
export type ShellNode = any;

/** What the facts need of a shell parser. `parse` throws on invalid syntax. */
export interface ShellSyntax {
  parse(source: string): ShellNode;
  nodeType(node: ShellNode): string;
  /** Visits every node under `node`; the visitor returns false to skip a node's children. */
  walk(node: ShellNode, visit: (node: ShellNode | null) => boolean): void;
}

export interface ShellRedirect {
  /** `>`, `>>`, `<`, `<<<`, `&>`… */
  op: string;
  /** The file (or here-string), as far as it is literal; `$…` marks what is not. */
  target: string;
}

export interface ShellCommand {
  /** The program's base name, quoting undone (`/usr/bin/g''it` → `git`). */
  program: string;
  /** The words after wrappers are unwrapped, the program's word first. */
  argv: string[];
  redirects: ShellRedirect[];
  /** Inline code for an interpreter (`python -c`, `node -e`): the program is known, the code is not. */
  inlineCode?: true;
}

/** Why a command line is opaque; several may hold. */
export const opaqueReasons = [
  'too-large',
  'too-deep',
  'too-many-commands',
  'syntax-error',
  'command-substitution',
  'process-substitution',
  'variable-program',
  'dynamic-shell-string',
  'dynamic-eval',
  'shell-reads-stdin',
  'inline-code',
] as const;
export type OpaqueReason = (typeof opaqueReasons)[number];

export interface ShellFacts {
  raw: string;
  commands: ShellCommand[];
  /** True when the line cannot be fully known statically: a policy should not trust `commands` alone. */
  opaque: boolean;
  opaqueReasons: OpaqueReason[];
}

export interface ShellLimits {
  /** Longest command line parsed (UTF-16 units); longer is opaque (`too-large`), not parsed. */
  maxLength: number;
  /** Deepest nesting of `bash -c` / `eval` strings. */
  maxDepth: number;
  /** Most simple commands recorded. */
  maxCommands: number;
}

export const defaultShellLimits: ShellLimits = { maxLength: 16 * 1024, maxDepth: 4, maxCommands: 200 };

/** Programs whose `-c STRING` / `--command STRING` is a command line run by a shell. */
const commandStringRunners = new Set(['su', 'runuser', 'flock']);

const shells = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'fish', 'busybox']);
/** Interpreters and the flags after which their inline code follows. */
const inlineCodeFlags: Record<string, readonly string[]> = {
  python: ['-c'],
  python2: ['-c'],
  python3: ['-c'],
  node: ['-e', '--eval', '-p', '--print'],
  nodejs: ['-e', '--eval', '-p', '--print'],
  deno: ['eval'],
  bun: ['-e', '--eval'],
  perl: ['-e', '-E'],
  ruby: ['-e'],
  php: ['-r'],
  lua: ['-e'],
  osascript: ['-e'],
  pwsh: ['-c', '-Command', '-command'],
  powershell: ['-c', '-Command', '-command'],
};

/** mvdan/sh's redirect operator tokens (syntax/tokens.go, as built in mvdan-sh 0.10.1). */
const redirectOps: Record<number, string> = {
  54: '>',
  55: '>>',
  56: '<',
  57: '<>',
  58: '<&',
  59: '>&',
  60: '>|',
  61: '<<',
  62: '<<-',
  63: '<<<',
  64: '&>',
  65: '&>>',
};
const pipeOps = new Set([12, 13]);
const stdinOps = new Set(['<', '<<', '<<-', '<<<', '<>']);

/** A word as far as it is literal. */
interface WordValue {
  text: string;
  literal: boolean;
}

/**
 * The facts of `raw`. Never throws on input: what cannot be parsed or is too large, too deep or
 * too long is opaque, with the reason.
 */
export function shellFacts(
  raw: string,
  syntax: ShellSyntax,
  limits: ShellLimits = defaultShellLimits,
): ShellFacts {
  const state = new FactsState(syntax, limits);
  state.line(raw, 0);
  const reasons = [...state.reasons].sort((a, b) => opaqueReasons.indexOf(a) - opaqueReasons.indexOf(b));
  return { raw, commands: state.commands, opaque: reasons.length > 0, opaqueReasons: reasons };
}

class FactsState {
  readonly commands: ShellCommand[] = [];
  readonly reasons = new Set<OpaqueReason>();

  constructor(
    private readonly syntax: ShellSyntax,
    private readonly limits: ShellLimits,
  ) {}

  /** One command line (the top one, or a `bash -c` / `eval` string at `depth`). */
  line(source: string, depth: number): void {
    if (depth > this.limits.maxDepth) {
      this.reasons.add('too-deep');
      return;
    }
    if (source.length > this.limits.maxLength) {
      this.reasons.add('too-large');
      return;
    }
    let file: ShellNode;
    try {
      file = this.syntax.parse(source);
    } catch (error) {
      // The parser recurses: a hostile nesting overflows its stack before it finishes.
      this.reasons.add(error instanceof RangeError ? 'too-deep' : 'syntax-error');
      return;
    }
    this.statements(file.Stmts, depth, false);
  }

  private statements(stmts: ShellNode[] | null | undefined, depth: number, piped: boolean): void {
    for (const stmt of stmts ?? []) this.statement(stmt, depth, piped);
  }

  private statement(stmt: ShellNode | null, depth: number, piped: boolean): void {
    if (!stmt) return;
    const redirects = ((stmt.Redirs ?? []) as ShellNode[]).map((redirect) => this.redirect(redirect, depth));
    const cmd = stmt.Cmd;
    if (!cmd) return;
    const type = this.syntax.nodeType(cmd);
    switch (type) {
      case 'CallExpr':
        this.call(cmd, redirects, depth, piped);
        return;
      case 'BinaryCmd': {
        const pipe = pipeOps.has(cmd.Op);
        this.statement(cmd.X, depth, piped);
        this.statement(cmd.Y, depth, pipe || piped);
        return;
      }
      case 'Subshell':
      case 'Block':
        this.statements(cmd.Stmts, depth, piped);
        return;
      case 'IfClause':
        this.ifClause(cmd, depth);
        return;
      case 'WhileClause':
        this.statements(cmd.Cond, depth, false);
        this.statements(cmd.Do, depth, false);
        return;
      case 'ForClause':
        this.scanSubstitutions(cmd.Loop, depth);
        this.statements(cmd.Do, depth, false);
        return;
      case 'CaseClause':
        this.word(cmd.Word, depth);
        for (const item of (cmd.Items ?? []) as ShellNode[]) this.statements(item.Stmts, depth, false);
        return;
      case 'FuncDecl':
        this.statement(cmd.Body, depth, false);
        return;
      case 'TimeClause':
      case 'CoprocClause':
        this.statement(cmd.Stmt, depth, piped);
        return;
      case 'DeclClause':
        for (const assign of (cmd.Args ?? []) as ShellNode[]) this.assignment(assign, depth);
        return;
      default:
        // Arithmetic, [[ tests ]], let: nothing runs but what a substitution inside them runs.
        this.scanSubstitutions(cmd, depth);
        return;
    }
  }

  private ifClause(clause: ShellNode | null, depth: number): void {
    if (!clause) return;
    this.statements(clause.Cond, depth, false);
    this.statements(clause.Then, depth, false);
    this.ifClause(clause.Else, depth);
  }

  /** Substitutions anywhere under `node` (arithmetic, tests, parameter defaults) run commands: followed, and opaque. */
  private scanSubstitutions(node: ShellNode | null, depth: number): void {
    if (!node) return;
    this.syntax.walk(node, (child) => {
      if (!child) return true;
      const type = this.syntax.nodeType(child);
      if (type !== 'CmdSubst' && type !== 'ProcSubst') return true;
      this.part(child, depth, false);
      return false;
    });
  }

  private assignment(assign: ShellNode | null, depth: number): void {
    if (!assign) return;
    if (assign.Value) this.word(assign.Value, depth);
    if (assign.Array) this.scanSubstitutions(assign.Array, depth);
    if (assign.Index) this.scanSubstitutions(assign.Index, depth);
  }

  private redirect(redirect: ShellNode, depth: number): ShellRedirect {
    const op = redirectOps[redirect.Op as number] ?? String(redirect.Op);
    const target = redirect.Hdoc ? this.word(redirect.Hdoc, depth) : this.word(redirect.Word, depth);
    const fd = redirect.N?.Value as string | undefined;
    return { op: fd ? `${fd}${op}` : op, target: target.text };
  }

  private call(call: ShellNode, redirects: ShellRedirect[], depth: number, piped: boolean): void {
    for (const assign of (call.Assigns ?? []) as ShellNode[]) this.assignment(assign, depth);
    const words = ((call.Args ?? []) as ShellNode[]).map((word) => this.word(word, depth));
    if (words.length === 0) return;
    this.simpleCommand(words, redirects, depth, piped);
  }

  /** A simple command: wrappers unwrapped, nested shells and evals followed. */
  private simpleCommand(words: WordValue[], redirects: ShellRedirect[], depth: number, piped: boolean): void {
    const unwrapped = unwrap(words);
    if (unwrapped.length === 0) return;
    const [head] = unwrapped;
    if (!head!.literal || isGlobbed(head!.text)) this.reasons.add('variable-program');
    const program = baseName(head!.text);
    const argv = unwrapped.map((word) => word.text);
    if (this.commands.length >= this.limits.maxCommands) {
      this.reasons.add('too-many-commands');
      return;
    }
    const command: ShellCommand = { program, argv, redirects };
    this.commands.push(command);

    if (shells.has(program)) {
      this.nestedShell(unwrapped, redirects, depth, piped);
      return;
    }
    if (commandStringRunners.has(program)) {
      const dashC = unwrapped.findIndex((word) => word.text === '-c' || word.text === '--command');
      if (dashC > 0) {
        const dashCWord = { ...unwrapped[dashC]!, text: '-c' };
        this.nestedShell([unwrapped[0]!, dashCWord, ...unwrapped.slice(dashC + 1)], redirects, depth, piped);
        return;
      }
    }
    if (program === 'eval') {
      this.evalString(unwrapped.slice(1), depth);
      return;
    }
    const flags = inlineCodeFlags[program];
    if (
      flags &&
      unwrapped.slice(1).some((word) => flags.includes(word.text) || isCombinedFlag(word.text, flags))
    ) {
      command.inlineCode = true;
      this.reasons.add('inline-code');
      return;
    }
    if (program === 'find') this.findExec(unwrapped, depth);
  }

  /** `bash -c STRING` is parsed in turn; a shell that reads its commands from stdin is opaque. */
  private nestedShell(words: WordValue[], redirects: ShellRedirect[], depth: number, piped: boolean): void {
    const args = words.slice(1);
    const dashC = args.findIndex((word) => word.literal && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(word.text));
    if (dashC >= 0) {
      const script = args[dashC + 1];
      if (!script) return;
      if (!script.literal) {
        this.reasons.add('dynamic-shell-string');
        return;
      }
      this.line(script.text, depth + 1);
      return;
    }
    const script = args.find((word) => !word.text.startsWith('-'));
    const readsStdin =
      !script || args.some((word) => word.text === '-s') || words[0]!.text.endsWith('busybox');
    if (readsStdin && (piped || redirects.some((redirect) => stdinOps.has(redirect.op.replace(/^\d+/, '')))))
      this.reasons.add('shell-reads-stdin');
  }

  /** `eval` joins its arguments into a command line: followed when literal. */
  private evalString(args: WordValue[], depth: number): void {
    if (args.length === 0) return;
    if (args.some((word) => !word.literal)) {
      this.reasons.add('dynamic-eval');
      return;
    }
    this.line(args.map((word) => word.text).join(' '), depth + 1);
  }

  /** `find … -exec CMD … ;` runs CMD: recorded as a command of its own. */
  private findExec(words: WordValue[], depth: number): void {
    for (let i = 0; i < words.length; i++) {
      if (!['-exec', '-execdir', '-ok', '-okdir'].includes(words[i]!.text)) continue;
      const end = words.findIndex((word, j) => j > i && (word.text === ';' || word.text === '+'));
      const inner = words.slice(i + 1, end < 0 ? undefined : end);
      if (inner.length > 0) this.simpleCommand(inner, [], depth, false);
      if (end < 0) return;
      i = end;
    }
  }

  /** A word's value as far as it is literal; substitutions inside it are followed (and opaque). */
  word(word: ShellNode | null, depth: number): WordValue {
    if (!word) return { text: '', literal: true };
    let text = '';
    let literal = true;
    for (const part of (word.Parts ?? []) as ShellNode[]) {
      const value = this.part(part, depth, false);
      text += value.text;
      literal &&= value.literal;
    }
    return { text, literal };
  }

  private part(part: ShellNode, depth: number, quoted: boolean): WordValue {
    const type = this.syntax.nodeType(part);
    switch (type) {
      case 'Lit':
        return { text: unescapeLiteral(part.Value as string, quoted), literal: true };
      case 'SglQuoted':
        return { text: part.Dollar ? ansiC(part.Value as string) : (part.Value as string), literal: true };
      case 'DblQuoted': {
        let text = '';
        let literal = true;
        for (const inner of (part.Parts ?? []) as ShellNode[]) {
          const value = this.part(inner, depth, true);
          text += value.text;
          literal &&= value.literal;
        }
        return { text, literal };
      }
      case 'CmdSubst':
        this.reasons.add('command-substitution');
        this.statements(part.Stmts, depth, false);
        return { text: '$(…)', literal: false };
      case 'ProcSubst':
        this.reasons.add('process-substitution');
        this.statements(part.Stmts, depth, false);
        return { text: '<(…)', literal: false };
      case 'ParamExp':
        this.scanSubstitutions(part, depth);
        return { text: `\${${part.Param?.Value ?? ''}}`, literal: false };
      case 'ArithmExp':
        this.scanSubstitutions(part, depth);
        return { text: '$((…))', literal: false };
      default:
        this.scanSubstitutions(part, depth);
        return { text: '…', literal: false };
    }
  }
}

/** Backslash escapes undone: outside quotes any character; inside double quotes only $ ` " \ and newline. */
function unescapeLiteral(value: string, quoted: boolean): string {
  return quoted
    ? value.replace(/\\([$`"\\\n])/g, (_, char: string) => (char === '\n' ? '' : char))
    : value.replace(/\\([\s\S])/g, (_, char: string) => (char === '\n' ? '' : char));
}

/** `$'…'` (ANSI-C quoting): the escapes an evasion would use (`$'\x67it'` is `git`). */
function ansiC(value: string): string {
  const simple: Record<string, string> = {
    n: '\n',
    t: '\t',
    r: '\r',
    a: '\x07',
    b: '\b',
    e: '\x1b',
    E: '\x1b',
    f: '\f',
    v: '\v',
    '\\': '\\',
    "'": "'",
    '"': '"',
    '?': '?',
  };
  return value.replace(
    /\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|[\s\S])/g,
    (whole, sequence: string) => {
      const kind = sequence[0]!;
      if (kind === 'x' || kind === 'u' || kind === 'U')
        return String.fromCodePoint(Math.min(Number.parseInt(sequence.slice(1), 16), 0x10ffff));
      if (/[0-7]/.test(kind)) return String.fromCharCode(Number.parseInt(sequence, 8) & 0xff);
      if (kind === 'c') return String.fromCharCode(sequence.charCodeAt(1) & 0x1f);
      return simple[kind] ?? whole;
    },
  );
}

/** A program name that the shell expands (glob, brace list) is not the name it runs. */
function isGlobbed(text: string): boolean {
  return /[*?]|\[[^\]]*\]|\{[^}]*,[^}]*\}/.test(text);
}

function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || path;
}

/** `-ic` style combined single-letter flags containing one of `flags` (single-letter ones only). */
function isCombinedFlag(text: string, flags: readonly string[]): boolean {
  if (!/^-[a-zA-Z]{2,}$/.test(text)) return false;
  return flags.some((flag) => /^-[a-zA-Z]$/.test(flag) && text.slice(1).includes(flag[1]!));
}

/**
 * The command under its wrappers: `env A=1 sudo -u x nohup timeout 5 nice -n 5 git …` → `git …`.
 * Each wrapper's own options (and option arguments) are skipped.
 */
export function unwrap<T extends { text: string }>(words: readonly T[]): T[] {
  let rest = [...words];
  for (let guard = 0; guard < 32 && rest.length > 0; guard++) {
    const program = baseName(rest[0]!.text);
    const wrapper = wrappers[program];
    if (!wrapper) break;
    const next = wrapper(rest.slice(1).map((word) => word.text));
    // A wrapper with nothing after it (`env`, `time`) is the program itself.
    if (next === undefined || next >= rest.length - 1) break;
    rest = rest.slice(1 + next);
  }
  return rest;
}

/** For each wrapper: how many of the words after it belong to it (undefined: it is the program). */
const wrappers: Record<string, (args: string[]) => number | undefined> = {
  env: (args) =>
    skipOptions(args, {
      withValue: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'],
      assignments: true,
    }),
  sudo: (args) =>
    skipOptions(args, {
      withValue: [
        '-u',
        '-g',
        '-h',
        '-p',
        '-C',
        '-D',
        '-r',
        '-t',
        '-U',
        '-T',
        '--user',
        '--group',
        '--host',
        '--prompt',
        '--chdir',
      ],
    }),
  doas: (args) => skipOptions(args, { withValue: ['-u', '-C'] }),
  nohup: (args) => skipOptions(args, {}),
  nice: (args) => skipOptions(args, { withValue: ['-n', '--adjustment'] }),
  ionice: (args) => skipOptions(args, { withValue: ['-c', '-n', '-p', '--class', '--classdata'] }),
  stdbuf: (args) => skipOptions(args, { withValue: ['-i', '-o', '-e'] }),
  time: (args) => skipOptions(args, { withValue: ['-f', '-o', '--format', '--output'] }),
  timeout: (args) => {
    const options = skipOptions(args, { withValue: ['-k', '-s', '--kill-after', '--signal'] });
    return options < args.length ? options + 1 : options; // the duration
  },
  xargs: (args) =>
    skipOptions(args, {
      withValue: [
        '-I',
        '-L',
        '-n',
        '-P',
        '-s',
        '-d',
        '-E',
        '-a',
        '--max-args',
        '--max-procs',
        '--delimiter',
        '--arg-file',
        '--replace',
      ],
    }),
  command: (args) => (args.some((arg) => arg === '-v' || arg === '-V') ? undefined : skipOptions(args, {})),
  builtin: () => 0,
  exec: (args) => skipOptions(args, { withValue: ['-a'] }),
  chronic: () => 0,
  setsid: (args) => skipOptions(args, {}),
  // chroot NEWROOT COMMAND: the new root is the wrapper's (its options are all `--name=value`).
  chroot: (args) => {
    const options = skipOptions(args, {});
    return options < args.length ? options + 1 : options;
  },
  // With -c the command is a string for the shell: runuser is the program (followed like bash -c).
  runuser: (args) =>
    hasCommandString(args)
      ? undefined
      : skipOptions(args, {
          withValue: ['-u', '-g', '-G', '-w', '--user', '--group', '--supp-group', '--whitelist-environment'],
        }),
  strace: (args) =>
    skipOptions(args, {
      withValue: ['-o', '-e', '-p', '-s', '-a', '-b', '-E', '-I', '-O', '-P', '-S', '-u', '-X', '--output'],
    }),
  // flock [options] FILE COMMAND: the lock file is the wrapper's.
  flock: (args) => {
    if (hasCommandString(args)) return undefined;
    const options = skipOptions(args, { withValue: ['-w', '-E', '--timeout', '--conflict-exit-code'] });
    return options < args.length ? options + 1 : options;
  },
  caffeinate: (args) => skipOptions(args, { withValue: ['-w', '-t'] }),
};

function hasCommandString(args: readonly string[]): boolean {
  return args.some((arg) => arg === '-c' || arg === '--command');
}

/** How many of `args` are options (and their values, and `NAME=value` assignments for env). */
function skipOptions(args: string[], how: { withValue?: readonly string[]; assignments?: boolean }): number {
  let i = 0;
  while (i < args.length) {
    const arg = args[i]!;
    if (arg === '--') return i + 1;
    if (how.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') return i;
    i += how.withValue?.includes(arg) ? 2 : 1;
  }
  return i;
}
