import type { ScanFinding, Severity } from './findings.js';

/**
 * A pickle reader at the opcode level (protocols 0–5), for safety scanning: it never executes
 * anything. It walks every opcode with its argument, keeps just enough of the stack and memo to
 * know which `module.name` each GLOBAL, INST and STACK_GLOBAL imports, and notes every import and
 * call (REDUCE, NEWOBJ, BUILD). Truncated or malformed input is reported, never skipped.
 */

type Arg =
  | 'none'
  | 'u1'
  | 'u2'
  | 'i4'
  | 'u4'
  | 'u8'
  | 'f8'
  | 'line'
  | 'lines2'
  | 'len1'
  | 'len4'
  | 'len8'
  | 'slen4';

/** opcode byte → [name, argument format] (pickletools' table). */
const opcodes: Record<number, [string, Arg]> = {};
const define = (char: string | number, name: string, arg: Arg) => {
  opcodes[typeof char === 'number' ? char : char.charCodeAt(0)] = [name, arg];
};
define('(', 'MARK', 'none');
define('.', 'STOP', 'none');
define('0', 'POP', 'none');
define('1', 'POP_MARK', 'none');
define('2', 'DUP', 'none');
define('F', 'FLOAT', 'line');
define('I', 'INT', 'line');
define('J', 'BININT', 'i4');
define('K', 'BININT1', 'u1');
define('L', 'LONG', 'line');
define('M', 'BININT2', 'u2');
define('N', 'NONE', 'none');
define('P', 'PERSID', 'line');
define('Q', 'BINPERSID', 'none');
define('R', 'REDUCE', 'none');
define('S', 'STRING', 'line');
define('T', 'BINSTRING', 'slen4');
define('U', 'SHORT_BINSTRING', 'len1');
define('V', 'UNICODE', 'line');
define('X', 'BINUNICODE', 'len4');
define('a', 'APPEND', 'none');
define('b', 'BUILD', 'none');
define('c', 'GLOBAL', 'lines2');
define('d', 'DICT', 'none');
define('}', 'EMPTY_DICT', 'none');
define('e', 'APPENDS', 'none');
define('g', 'GET', 'line');
define('h', 'BINGET', 'u1');
define('i', 'INST', 'lines2');
define('j', 'LONG_BINGET', 'u4');
define('l', 'LIST', 'none');
define(']', 'EMPTY_LIST', 'none');
define('o', 'OBJ', 'none');
define('p', 'PUT', 'line');
define('q', 'BINPUT', 'u1');
define('r', 'LONG_BINPUT', 'u4');
define('s', 'SETITEM', 'none');
define('t', 'TUPLE', 'none');
define(')', 'EMPTY_TUPLE', 'none');
define('u', 'SETITEMS', 'none');
define('G', 'BINFLOAT', 'f8');
define(0x80, 'PROTO', 'u1');
define(0x81, 'NEWOBJ', 'none');
define(0x82, 'EXT1', 'u1');
define(0x83, 'EXT2', 'u2');
define(0x84, 'EXT4', 'i4');
define(0x85, 'TUPLE1', 'none');
define(0x86, 'TUPLE2', 'none');
define(0x87, 'TUPLE3', 'none');
define(0x88, 'NEWTRUE', 'none');
define(0x89, 'NEWFALSE', 'none');
define(0x8a, 'LONG1', 'len1');
define(0x8b, 'LONG4', 'slen4');
define('B', 'BINBYTES', 'len4');
define('C', 'SHORT_BINBYTES', 'len1');
define(0x8c, 'SHORT_BINUNICODE', 'len1');
define(0x8d, 'BINUNICODE8', 'len8');
define(0x8e, 'BINBYTES8', 'len8');
define(0x8f, 'EMPTY_SET', 'none');
define(0x90, 'ADDITEMS', 'none');
define(0x91, 'FROZENSET', 'none');
define(0x92, 'NEWOBJ_EX', 'none');
define(0x93, 'STACK_GLOBAL', 'none');
define(0x94, 'MEMOIZE', 'none');
define(0x95, 'FRAME', 'u8');
define(0x96, 'BYTEARRAY8', 'len8');
define(0x97, 'NEXT_BUFFER', 'none');
define(0x98, 'READONLY_BUFFER', 'none');

/** What the scanner tracks of a stack value: a string, an imported global, or anything else. */
type Value =
  | { kind: 'string'; value: string }
  | { kind: 'global'; name: string }
  | { kind: 'other' }
  | { kind: 'mark' };
const other: Value = { kind: 'other' };

export interface PickleImport {
  global: string;
  offset: number;
  opcode: 'GLOBAL' | 'INST' | 'STACK_GLOBAL' | 'EXT';
}

export interface PickleParse {
  /** Offset just past STOP (where a following pickle may start). */
  end: number;
  imports: PickleImport[];
  /** Globals that were called (REDUCE, NEWOBJ, INST, OBJ) or used to BUILD. */
  calls: { global: string; offset: number }[];
  /** The protocol announced by PROTO, or 0/1 when there is none. */
  protocol: number;
  /** The first value when the pickle is a bare integer (the legacy PyTorch magic number). */
  longValue?: bigint;
}

export class PickleError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const decoder = new TextDecoder('utf-8');

/** Parses one pickle starting at `start`; throws PickleError on truncation or an unknown opcode. */
export function parsePickle(data: Uint8Array, start = 0): PickleParse {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = start;
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  const imports: PickleImport[] = [];
  const calls: { global: string; offset: number }[] = [];
  let protocol = 0;
  let longValue: bigint | undefined;

  const need = (count: number, what: string) => {
    if (at + count > data.length)
      throw new PickleError(
        `truncated ${what}: needs ${count} bytes at offset ${at}, file ends at ${data.length}`,
        at,
      );
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, at);
    if (end < 0) throw new PickleError(`truncated text argument at offset ${at}: no newline`, at);
    const text = decoder.decode(data.subarray(at, end));
    at = end + 1;
    return text;
  };
  const bytes = (count: number, what: string): Uint8Array => {
    need(count, what);
    const out = data.subarray(at, at + count);
    at += count;
    return out;
  };
  const pop = (): Value => stack.pop() ?? other;
  const popMark = (): Value[] => {
    const items: Value[] = [];
    while (stack.length > 0) {
      const value = stack.pop()!;
      if (value.kind === 'mark') return items.reverse();
      items.push(value);
    }
    return items.reverse();
  };
  const called = (value: Value | undefined, offset: number) => {
    if (value?.kind === 'global') calls.push({ global: value.name, offset });
  };

  while (true) {
    const offset = at;
    need(1, 'opcode');
    const code = data[at++]!;
    const op = opcodes[code];
    if (!op)
      throw new PickleError(
        `unknown opcode 0x${code.toString(16).padStart(2, '0')} at offset ${offset}`,
        offset,
      );
    const [name, arg] = op;
    let text: string | undefined;
    let number = 0;
    switch (arg) {
      case 'none':
        break;
      case 'u1':
        need(1, name);
        number = data[at]!;
        at += 1;
        break;
      case 'u2':
        need(2, name);
        number = view.getUint16(at, true);
        at += 2;
        break;
      case 'i4':
        need(4, name);
        number = view.getInt32(at, true);
        at += 4;
        break;
      case 'u4':
        need(4, name);
        number = view.getUint32(at, true);
        at += 4;
        break;
      case 'u8':
        need(8, name);
        number = Number(view.getBigUint64(at, true));
        at += 8;
        break;
      case 'f8':
        bytes(8, name);
        break;
      case 'line':
        text = line();
        break;
      case 'lines2':
        text = `${line()}.${line()}`;
        break;
      case 'len1':
      case 'len4':
      case 'slen4':
      case 'len8': {
        const size = arg === 'len1' ? 1 : arg === 'len8' ? 8 : 4;
        need(size, `${name} length`);
        const length =
          arg === 'len1'
            ? data[at]!
            : arg === 'len8'
              ? Number(view.getBigUint64(at, true))
              : arg === 'slen4'
                ? view.getInt32(at, true)
                : view.getUint32(at, true);
        at += size;
        if (length < 0 || !Number.isSafeInteger(length))
          throw new PickleError(`${name} at offset ${offset} has an invalid length ${length}`, offset);
        const payload = bytes(length, name);
        if (/UNICODE|STRING/.test(name)) text = decoder.decode(payload);
        if (name === 'LONG1' && offset === start + 2 && protocol >= 2) {
          let value = 0n;
          for (let i = payload.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(payload[i]!);
          longValue = value;
        }
        break;
      }
    }

    switch (name) {
      case 'PROTO':
        if (number > 5)
          throw new PickleError(`unsupported pickle protocol ${number} at offset ${offset}`, offset);
        protocol = number;
        break;
      case 'STOP':
        return { end: at, imports, calls, protocol, ...(longValue !== undefined ? { longValue } : {}) };
      case 'MARK':
        stack.push({ kind: 'mark' });
        break;
      case 'POP':
        pop();
        break;
      case 'POP_MARK':
        popMark();
        break;
      case 'DUP':
        stack.push(stack[stack.length - 1] ?? other);
        break;
      case 'STRING':
      case 'UNICODE':
        stack.push({ kind: 'string', value: (text ?? '').replace(/^['"]|['"]$/g, '') });
        break;
      case 'BINSTRING':
      case 'SHORT_BINSTRING':
      case 'BINUNICODE':
      case 'SHORT_BINUNICODE':
      case 'BINUNICODE8':
        stack.push({ kind: 'string', value: text ?? '' });
        break;
      case 'GLOBAL':
      case 'INST': {
        const global = text!;
        imports.push({ global, offset, opcode: name });
        if (name === 'INST') {
          popMark();
          calls.push({ global, offset });
          stack.push(other);
        } else {
          stack.push({ kind: 'global', name: global });
        }
        break;
      }
      case 'STACK_GLOBAL': {
        const attribute = pop();
        const module = pop();
        const global =
          module.kind === 'string' && attribute.kind === 'string'
            ? `${module.value}.${attribute.value}`
            : '<unresolved>.<unresolved>';
        imports.push({ global, offset, opcode: 'STACK_GLOBAL' });
        stack.push({ kind: 'global', name: global });
        break;
      }
      case 'EXT1':
      case 'EXT2':
      case 'EXT4': {
        const global = `<copyreg extension ${number}>`;
        imports.push({ global, offset, opcode: 'EXT' });
        stack.push({ kind: 'global', name: global });
        break;
      }
      case 'REDUCE': {
        pop();
        called(pop(), offset);
        stack.push(other);
        break;
      }
      case 'NEWOBJ': {
        pop();
        called(pop(), offset);
        stack.push(other);
        break;
      }
      case 'NEWOBJ_EX': {
        pop();
        pop();
        called(pop(), offset);
        stack.push(other);
        break;
      }
      case 'OBJ': {
        const items = popMark();
        called(items[0], offset);
        stack.push(other);
        break;
      }
      case 'BUILD':
        pop();
        break;
      case 'PUT':
      case 'BINPUT':
      case 'LONG_BINPUT':
        memo.set(name === 'PUT' ? Number.parseInt(text ?? '', 10) : number, stack[stack.length - 1] ?? other);
        break;
      case 'MEMOIZE':
        memo.set(memo.size, stack[stack.length - 1] ?? other);
        break;
      case 'GET':
      case 'BINGET':
      case 'LONG_BINGET':
        stack.push(memo.get(name === 'GET' ? Number.parseInt(text ?? '', 10) : number) ?? other);
        break;
      case 'APPEND':
      case 'BINPERSID':
        pop();
        if (name === 'BINPERSID') stack.push(other);
        break;
      case 'SETITEM':
        pop();
        pop();
        break;
      case 'APPENDS':
      case 'SETITEMS':
      case 'ADDITEMS':
        popMark();
        break;
      case 'TUPLE':
      case 'LIST':
      case 'DICT':
      case 'FROZENSET':
        popMark();
        stack.push(other);
        break;
      case 'TUPLE1':
        pop();
        stack.push(other);
        break;
      case 'TUPLE2':
        pop();
        pop();
        stack.push(other);
        break;
      case 'TUPLE3':
        pop();
        pop();
        pop();
        stack.push(other);
        break;
      case 'FRAME':
      case 'NEXT_BUFFER':
      case 'READONLY_BUFFER':
        if (name === 'NEXT_BUFFER') stack.push(other);
        break;
      default:
        // Everything else pushes one value (numbers, None, booleans, bytes, empty containers, PERSID).
        stack.push(other);
    }
  }
}

/**
 * Globals that ML checkpoints legitimately import (tensor rebuilding, containers, numpy arrays).
 * Everything else is reported; known code-execution paths are critical.
 */
const safeGlobals = new Set([
  'collections.OrderedDict',
  'collections.defaultdict',
  'builtins.set',
  'builtins.frozenset',
  'builtins.dict',
  'builtins.list',
  'builtins.tuple',
  'builtins.slice',
  'builtins.range',
  'builtins.complex',
  'builtins.bytearray',
  '__builtin__.set',
  'copy_reg._reconstructor',
  'copyreg._reconstructor',
  '_codecs.encode',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_device_tensor_from_numpy',
  'torch._tensor._rebuild_from_type_v2',
  'torch.Size',
  'torch.device',
  'torch.dtype',
  'torch.float32',
  'torch.float16',
  'torch.bfloat16',
  'torch.int64',
  'torch.FloatStorage',
  'torch.DoubleStorage',
  'torch.HalfStorage',
  'torch.BFloat16Storage',
  'torch.LongStorage',
  'torch.IntStorage',
  'torch.ShortStorage',
  'torch.CharStorage',
  'torch.ByteStorage',
  'torch.BoolStorage',
  'torch.storage._load_from_bytes',
  'torch.nn.parameter.Parameter',
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.ndarray',
  'numpy.dtype',
  'numpy.random._pickle.__randomstate_ctor',
]);

const criticalModules = [
  'os',
  'posix',
  'nt',
  'subprocess',
  'sys',
  'socket',
  'shutil',
  'runpy',
  'pty',
  'importlib',
  'pickle',
  '_pickle',
  'marshal',
  'ctypes',
  'webbrowser',
  'code',
  'commands',
  'multiprocessing',
  'urllib',
  'requests',
  'httplib',
  'http',
  'ftplib',
  'telnetlib',
  'smtplib',
  'asyncio',
  'platform',
  'pdb',
  'timeit',
  'bdb',
  'cProfile',
  'profile',
];
const criticalBuiltins = new Set([
  'eval',
  'exec',
  'compile',
  'open',
  '__import__',
  'getattr',
  'setattr',
  'delattr',
  'globals',
  'locals',
  'vars',
  'input',
  'breakpoint',
  'memoryview',
]);

/** How dangerous importing `global` is when a pickle loads. */
export function globalSeverity(global: string): Severity | undefined {
  if (safeGlobals.has(global)) return undefined;
  if (global.startsWith('torch.') && /Storage$/.test(global)) return undefined;
  const [module = '', ...rest] = global.split('.');
  const name = rest.join('.');
  if (
    (module === 'builtins' || module === '__builtin__' || module === '__builtins__') &&
    criticalBuiltins.has(name)
  )
    return 'critical';
  if (criticalModules.includes(module)) return 'critical';
  if (global.includes('<unresolved>') || global.startsWith('<copyreg')) return 'high';
  if (module === 'builtins' || module === '__builtin__') return 'medium';
  return 'high';
}

/**
 * Scans one or more pickles from `start`, as findings. A file may hold several pickles one after
 * another (legacy PyTorch files hold five, then raw storage bytes).
 */
export function scanPickles(
  file: string,
  data: Uint8Array,
  options: { start?: number; maxPickles?: number } = {},
): ScanFinding[] {
  const findings: ScanFinding[] = [];
  let at = options.start ?? 0;
  let count = 0;
  const limit = options.maxPickles ?? Number.POSITIVE_INFINITY;
  while (at < data.length && count < limit) {
    // After the first pickle, another one must announce itself with PROTO; otherwise the rest is data.
    if (count > 0 && data[at] !== 0x80) break;
    let parsed: PickleParse;
    try {
      parsed = parsePickle(data, at);
    } catch (error) {
      const offset = error instanceof PickleError ? error.offset : at;
      findings.push({
        file,
        offset,
        severity: 'high',
        rule: 'pickle-unparseable',
        message: `pickle ${count + 1} cannot be parsed (${(error as Error).message}); a scanner that cannot read it cannot vouch for it`,
      });
      return findings;
    }
    const called = new Set(parsed.calls.map((call) => call.global));
    for (const item of parsed.imports) {
      const severity = globalSeverity(item.global);
      if (!severity) continue;
      findings.push({
        file,
        offset: item.offset,
        severity,
        rule: 'pickle-global',
        global: item.global,
        message: `${item.opcode} imports ${item.global}${called.has(item.global) ? ' and the pickle calls it' : ''}${severity === 'critical' ? ': loading this file runs code' : ': not on the allowlist of safe ML globals'}`,
      });
    }
    if (count === 0 && parsed.longValue === 0x1950a86a20f9469cfc6cn) {
      // Legacy PyTorch: magic, protocol, sys info, the model, the storage keys — then raw bytes.
      return findings.concat(
        scanPickles(file, data, { start: parsed.end, maxPickles: 4 }).map((f) => ({ ...f })),
      );
    }
    at = parsed.end;
    count++;
  }
  return findings;
}
