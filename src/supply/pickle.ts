import type { ByteCursor } from './byte-cursor.js';
import { LimitExceeded } from './limits.js';
import { joblibArrayWrappers, nestedLoaders, python3Global } from './pickle-globals.js';
import type { RandomAccessReader } from './reader.js';

/**
 * A pickle reader at the opcode level (protocols 0–5), for safety scanning: it never executes
 * anything. It walks every opcode with its argument through a byte cursor (so a pickle of any size
 * streams), keeps a small model of the stack and memo — strings, numbers, tuples, dicts, imported
 * globals and the objects built from them — and records every import and call. The model is what
 * lets it read files as their loaders do: joblib's raw array bytes after a NumpyArrayWrapper are
 * skipped exactly as joblib's unpickler reads them, and the bytes given to a nested loader
 * (`torch.storage._load_from_bytes`) are located so they can be scanned too. Truncated or malformed
 * input is an error, never a pass.
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

/** The opcode bytes a pickle may start with (its first opcode), for telling pickles from other data. */
export function isOpcode(byte: number): boolean {
  return opcodes[byte] !== undefined;
}

/** What the scanner models of a stack value. */
type Value =
  | { kind: 'mark' }
  | { kind: 'other' }
  | { kind: 'none' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  /** A string too long to track as a name, kept as its UTF-8 bytes in case it becomes bytes (see below). */
  | { kind: 'text'; offset: number; utf8: Uint8Array }
  /** Bytes located in the stream (`offset`), with a reader over them or a copy when the stream is not seekable. */
  | { kind: 'bytes'; offset: number; length: number; reader?: RandomAccessReader; copy?: Uint8Array }
  | { kind: 'global'; name: string }
  | { kind: 'tuple'; items: Value[] }
  | { kind: 'list'; items: Value[] }
  | { kind: 'dict'; entries: [Value, Value][] }
  /** What calling or instantiating a global produced, with its arguments and BUILD state. */
  | { kind: 'object'; global: string; args: Value; state?: Value };

const other: Value = { kind: 'other' };
const mark: Value = { kind: 'mark' };

export interface PickleImport {
  module: string;
  name: string;
  /** `module.name` as written in the file. */
  global: string;
  offset: number;
  opcode: 'GLOBAL' | 'INST' | 'STACK_GLOBAL' | 'EXT';
}

/** Bytes handed to a nested loader: scanned as a file of their own. */
export interface NestedPickle {
  global: string;
  offset: number;
  length: number;
  reader?: RandomAccessReader;
  copy?: Uint8Array;
}

export interface PickleParse {
  /** Stream offset just past STOP (where a following pickle may start). */
  end: number;
  imports: PickleImport[];
  /** Globals that were called (REDUCE, NEWOBJ, INST, OBJ). */
  calls: { global: string; offset: number }[];
  nested: NestedPickle[];
  /** How many joblib arrays were skipped: the stream is a joblib file. */
  joblibArrays: number;
  /** The protocol announced by PROTO, or 0 when there is none. */
  protocol: number;
  /** The value when the whole pickle is one integer (the legacy PyTorch magic number). */
  longValue?: bigint;
}

export class PickleError extends Error {
  override name = 'PickleError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** What one parse may hold: beyond these a crafted pickle is reported, not tracked into exhaustion. */
const maxStack = 1_000_000;
const maxTrackedValues = 2_000_000;
const maxContainerItems = 64;
const maxTrackedString = 1024;
const maxLine = 64 * 1024;
/** Bytes copied out of a stream that cannot be re-read, in case a nested loader receives them. */
const maxCopiedBytes = 4 * 1024 * 1024;
const maxCopiedTotal = 32 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** Shared across the pickles of one stream (joblib's nested object-array pickles share the file). */
interface ParseContext {
  cursor: ByteCursor;
  imports: PickleImport[];
  calls: { global: string; offset: number }[];
  nested: NestedPickle[];
  joblibArrays: number;
  tracked: number;
  copied: number;
  depth: number;
  maxDepth: number;
}

/** What a parse has seen so far: a caller that passes one keeps it when the parse then fails. */
export interface PickleSightings {
  imports: PickleImport[];
  calls: { global: string; offset: number }[];
  nested: NestedPickle[];
}

/**
 * Parses one pickle from the cursor's position; throws PickleError on truncation or an unknown
 * opcode. `seen` collects imports and calls as they happen, so what a failed parse read before the
 * failure still counts (a loader runs those before it fails).
 */
export async function parsePickle(
  cursor: ByteCursor,
  options: { maxDepth?: number; seen?: PickleSightings } = {},
): Promise<PickleParse> {
  const seen = options.seen ?? { imports: [], calls: [], nested: [] };
  const context: ParseContext = {
    cursor,
    imports: seen.imports,
    calls: seen.calls,
    nested: seen.nested,
    joblibArrays: 0,
    tracked: 0,
    copied: 0,
    depth: 0,
    maxDepth: options.maxDepth ?? 4,
  };
  const { protocol, longValue } = await parseOne(context);
  return {
    end: cursor.position,
    imports: context.imports,
    calls: context.calls,
    nested: context.nested,
    joblibArrays: context.joblibArrays,
    protocol,
    ...(longValue !== undefined ? { longValue } : {}),
  };
}

async function parseOne(context: ParseContext): Promise<{ protocol: number; longValue?: bigint }> {
  const cursor = context.cursor;
  const start = cursor.position;
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  // Python's MEMOIZE stores at len(memo): count keys without holding untracked values.
  let memoDense = 0;
  const memoSparse = new Set<number>();
  let protocol = 0;
  let longValue: bigint | undefined;

  const fail = (message: string, offset = cursor.position): never => {
    throw new PickleError(message, offset);
  };
  const need = async (count: number, what: string) => {
    if (cursor.available() < count && !(await cursor.fill(count)))
      fail(`truncated ${what}: needs ${count} bytes at offset ${cursor.position}, the data ends first`);
  };
  const track = <T extends Value>(value: T): T | Value => {
    if (++context.tracked > maxTrackedValues) return other;
    return value;
  };
  const push = (value: Value) => {
    if (stack.length >= maxStack)
      throw new LimitExceeded('pickle-complexity', `the pickle's stack grows past ${maxStack} entries`);
    stack.push(value);
  };
  const pop = (): Value => stack.pop() ?? other;
  const top = (): Value => stack[stack.length - 1] ?? other;
  const popMark = (): Value[] => {
    const at = stack.lastIndexOf(mark);
    const items = at < 0 ? stack.splice(0) : stack.splice(at);
    if (at >= 0) items.shift();
    return items;
  };
  const memoize = (key: number, value: Value) => {
    if (key === memoDense) {
      memoDense++;
      while (memoSparse.delete(memoDense)) memoDense++;
    } else if (key > memoDense) memoSparse.add(key);
    if (value.kind === 'other') memo.delete(key);
    else memo.set(key, value);
  };
  const importGlobal = (module: string, name: string, offset: number, opcode: PickleImport['opcode']) => {
    const global = `${module}.${name}`;
    context.imports.push({ module, name, global, offset, opcode });
    return global;
  };
  const called = (callable: Value, args: Value, offset: number): Value => {
    if (callable.kind !== 'global') return other;
    context.calls.push({ global: callable.name, offset });
    const canonical = callable.name;
    if (canonical === '_codecs.encode')
      return latin1Bytes(args) ?? track({ kind: 'object', global: canonical, args });
    if (nestedLoaders.has(canonical) && args.kind === 'tuple' && args.items[0]?.kind === 'bytes') {
      const bytes = args.items[0];
      context.nested.push({
        global: canonical,
        offset: bytes.offset,
        length: bytes.length,
        ...(bytes.reader ? { reader: bytes.reader } : {}),
        ...(bytes.copy ? { copy: bytes.copy } : {}),
      });
    }
    return track({ kind: 'object', global: canonical, args });
  };
  const text = async (
    length: number,
    what: string,
    decoder: { decode(bytes: Uint8Array): string },
  ): Promise<Value> => {
    if (length > maxTrackedString) {
      const offset = cursor.position;
      // Kept (within the copy budget) in case `_codecs.encode` turns it into a nested loader's bytes.
      if (decoder === utf8 && length <= maxCopiedBytes && context.copied + length <= maxCopiedTotal) {
        if (cursor.available() < length) await need(length, what);
        context.copied += length;
        return track({ kind: 'text', offset, utf8: cursor.take(length).slice() });
      }
      if (!(await cursor.skip(length))) fail(`truncated ${what}`);
      return other;
    }
    if (cursor.available() < length) await need(length, what);
    return track({ kind: 'string', value: decoder.decode(cursor.take(length)) });
  };
  const bytes = async (length: number, what: string): Promise<Value> => {
    const offset = cursor.position;
    const reader = cursor.windowAt(offset, length);
    let copy: Uint8Array | undefined;
    if (!reader && length <= maxCopiedBytes && context.copied + length <= maxCopiedTotal) {
      if (cursor.available() < length) await need(length, what);
      copy = cursor.take(length).slice();
      context.copied += length;
    } else if (!(await cursor.skip(length))) fail(`truncated ${what}: ${length} bytes announced`);
    return track({
      kind: 'bytes',
      offset,
      length,
      ...(reader ? { reader } : {}),
      ...(copy ? { copy } : {}),
    });
  };
  const line = async (what: string): Promise<Uint8Array> => {
    const bytesOfLine = await cursor.line(maxLine);
    if (!bytesOfLine) fail(`${what} argument has no newline within ${maxLine} bytes`);
    return bytesOfLine as Uint8Array;
  };
  const intOf = (digits: string): Value => {
    const trimmed = digits.trim().replace(/L$/, '');
    if (trimmed === '00') return { kind: 'bool', value: false };
    if (trimmed === '01') return { kind: 'bool', value: true };
    const value = Number(trimmed);
    return Number.isSafeInteger(value) ? { kind: 'int', value } : other;
  };

  while (true) {
    const offset = cursor.position;
    if (cursor.available() < 1) await need(1, 'opcode');
    const code = cursor.byte();
    const op = opcodes[code];
    if (!op) fail(`unknown opcode 0x${code.toString(16).padStart(2, '0')} at offset ${offset}`, offset);
    const [name, arg] = op as [string, Arg];
    switch (name) {
      case 'PROTO': {
        if (cursor.available() < 1) await need(1, name);
        protocol = cursor.byte();
        if (protocol > 5) fail(`unsupported pickle protocol ${protocol} at offset ${offset}`, offset);
        break;
      }
      case 'FRAME':
        if (cursor.available() < 8) await need(8, name);
        cursor.take(8);
        break;
      case 'STOP':
        return { protocol, ...(longValue !== undefined ? { longValue } : {}) };
      case 'MARK':
        push(mark);
        break;
      case 'POP':
        pop();
        break;
      case 'POP_MARK':
        popMark();
        break;
      case 'DUP':
        push(top());
        break;
      case 'NONE':
        push({ kind: 'none' });
        break;
      case 'NEWTRUE':
      case 'NEWFALSE':
        push({ kind: 'bool', value: name === 'NEWTRUE' });
        break;
      case 'INT':
      case 'LONG':
        push(intOf(latin1.decode(await line(name))));
        break;
      case 'FLOAT':
        await line(name);
        push(other);
        break;
      case 'BININT1':
        if (cursor.available() < 1) await need(1, name);
        push({ kind: 'int', value: cursor.byte() });
        break;
      case 'BININT2': {
        if (cursor.available() < 2) await need(2, name);
        const b = cursor.take(2);
        push({ kind: 'int', value: b[0]! | (b[1]! << 8) });
        break;
      }
      case 'BININT': {
        if (cursor.available() < 4) await need(4, name);
        const b = cursor.take(4);
        push({ kind: 'int', value: b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24) });
        break;
      }
      case 'BINFLOAT':
        if (cursor.available() < 8) await need(8, name);
        cursor.take(8);
        push(other);
        break;
      case 'LONG1':
      case 'LONG4': {
        const size = name === 'LONG1' ? 1 : 4;
        if (cursor.available() < size) await need(size, name);
        const header = cursor.take(size);
        const length =
          size === 1 ? header[0]! : header[0]! | (header[1]! << 8) | (header[2]! << 16) | (header[3]! << 24);
        if (length < 0) fail(`${name} at offset ${offset} has a negative length`, offset);
        if (length > 16) {
          if (!(await cursor.skip(length))) fail(`truncated ${name}`);
          push(other);
          break;
        }
        if (cursor.available() < length) await need(length, name);
        const payload = cursor.take(length);
        let value = 0n;
        for (let i = payload.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(payload[i]!);
        if (length > 0 && payload[length - 1]! & 0x80) value -= 1n << BigInt(8 * length);
        if (offset === start + 2 && protocol >= 2) longValue = value;
        push(
          value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
            ? { kind: 'int', value: Number(value) }
            : other,
        );
        break;
      }
      case 'STRING':
      case 'UNICODE': {
        const raw = latin1.decode(await line(name));
        const value = name === 'STRING' ? raw.replace(/^(['"])(.*)\1$/s, '$2') : raw;
        push(value.length <= maxTrackedString ? track({ kind: 'string', value }) : other);
        break;
      }
      case 'BINSTRING':
      case 'SHORT_BINSTRING':
      case 'BINUNICODE':
      case 'SHORT_BINUNICODE':
      case 'BINUNICODE8':
      case 'BINBYTES':
      case 'SHORT_BINBYTES':
      case 'BINBYTES8':
      case 'BYTEARRAY8': {
        const size = arg === 'len1' ? 1 : arg === 'len8' ? 8 : 4;
        if (cursor.available() < size) await need(size, `${name} length`);
        const header = cursor.take(size);
        const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
        const length =
          size === 1
            ? header[0]!
            : size === 8
              ? Number(view.getBigUint64(0, true))
              : arg === 'slen4'
                ? view.getInt32(0, true)
                : view.getUint32(0, true);
        if (length < 0 || !Number.isSafeInteger(length))
          fail(`${name} at offset ${offset} has an invalid length ${length}`, offset);
        const isBytes = name.includes('BYTES') || name === 'BYTEARRAY8';
        if (!isBytes && length <= maxTrackedString && cursor.available() >= length) {
          // The common case, short names and keys already buffered: no await.
          push(
            track({
              kind: 'string',
              value: (name.includes('UNICODE') ? utf8 : latin1).decode(cursor.take(length)),
            }),
          );
          break;
        }
        push(
          isBytes
            ? await bytes(length, name)
            : await text(length, name, name.includes('UNICODE') ? utf8 : latin1),
        );
        break;
      }
      case 'GLOBAL':
      case 'INST': {
        const module = utf8.decode(await line(name));
        const attribute = utf8.decode(await line(name));
        importGlobal(module, attribute, offset, name);
        const canonical = python3Global(module, attribute);
        if (name === 'INST') {
          const args = popMark();
          context.calls.push({ global: canonical, offset });
          push(
            track({
              kind: 'object',
              global: canonical,
              args: { kind: 'tuple', items: args.slice(0, maxContainerItems) },
            }),
          );
        } else push(track({ kind: 'global', name: canonical }));
        break;
      }
      case 'STACK_GLOBAL': {
        const attribute = pop();
        const module = pop();
        const resolved = module.kind === 'string' && attribute.kind === 'string';
        const moduleName = resolved ? module.value : '<unresolved>';
        const attributeName = resolved ? attribute.value : '<unresolved>';
        importGlobal(moduleName, attributeName, offset, 'STACK_GLOBAL');
        push(track({ kind: 'global', name: python3Global(moduleName, attributeName) }));
        break;
      }
      case 'EXT1':
      case 'EXT2':
      case 'EXT4': {
        const size = name === 'EXT1' ? 1 : name === 'EXT2' ? 2 : 4;
        if (cursor.available() < size) await need(size, name);
        const b = cursor.take(size);
        let number = 0;
        for (let i = size - 1; i >= 0; i--) number = number * 256 + b[i]!;
        importGlobal('<copyreg extension>', String(number), offset, 'EXT');
        push({ kind: 'global', name: `<copyreg extension>.${number}` });
        break;
      }
      case 'REDUCE': {
        const args = pop();
        const callable = pop();
        push(called(callable, args, offset));
        break;
      }
      case 'NEWOBJ': {
        const args = pop();
        const cls = pop();
        push(called(cls, args, offset));
        break;
      }
      case 'NEWOBJ_EX': {
        pop();
        const args = pop();
        const cls = pop();
        push(called(cls, args, offset));
        break;
      }
      case 'OBJ': {
        const items = popMark();
        push(
          called(items[0] ?? other, { kind: 'tuple', items: items.slice(1, 1 + maxContainerItems) }, offset),
        );
        break;
      }
      case 'BUILD': {
        const state = pop();
        const instance = top();
        if (instance.kind === 'object') instance.state = state;
        if (isJoblibArrayWrapper(instance)) {
          await skipJoblibArray(context, instance, offset);
          stack[stack.length - 1] = other;
        }
        break;
      }
      case 'PUT':
        memoize(Number.parseInt(latin1.decode(await line(name)), 10), top());
        break;
      case 'BINPUT':
        if (cursor.available() < 1) await need(1, name);
        memoize(cursor.byte(), top());
        break;
      case 'LONG_BINPUT': {
        if (cursor.available() < 4) await need(4, name);
        const b = cursor.take(4);
        memoize((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0, top());
        break;
      }
      case 'MEMOIZE':
        memoize(memoDense + memoSparse.size, top());
        break;
      case 'GET':
        push(memo.get(Number.parseInt(latin1.decode(await line(name)), 10)) ?? other);
        break;
      case 'BINGET':
        if (cursor.available() < 1) await need(1, name);
        push(memo.get(cursor.byte()) ?? other);
        break;
      case 'LONG_BINGET': {
        if (cursor.available() < 4) await need(4, name);
        const b = cursor.take(4);
        push(memo.get((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0) ?? other);
        break;
      }
      case 'PERSID':
        await line(name);
        push(other);
        break;
      case 'BINPERSID':
        pop();
        push(other);
        break;
      case 'EMPTY_TUPLE':
        push(track({ kind: 'tuple', items: [] }));
        break;
      case 'TUPLE':
        push(tupleOf(popMark(), track));
        break;
      case 'TUPLE1':
      case 'TUPLE2':
      case 'TUPLE3': {
        const count = name === 'TUPLE1' ? 1 : name === 'TUPLE2' ? 2 : 3;
        const items = stack.splice(Math.max(0, stack.length - count));
        push(tupleOf(items, track));
        break;
      }
      case 'EMPTY_LIST':
        push(track({ kind: 'list', items: [] }));
        break;
      case 'LIST':
        push(tupleOf(popMark(), track, 'list'));
        break;
      case 'APPEND': {
        const item = pop();
        const list = top();
        if (list.kind === 'list' && list.items.length < maxContainerItems) list.items.push(item);
        break;
      }
      case 'APPENDS': {
        const items = popMark();
        const list = top();
        if (list.kind === 'list')
          for (const item of items.slice(0, Math.max(0, maxContainerItems - list.items.length)))
            list.items.push(item);
        break;
      }
      case 'EMPTY_DICT':
        push(track({ kind: 'dict', entries: [] }));
        break;
      case 'DICT': {
        const items = popMark();
        const entries: [Value, Value][] = [];
        for (let i = 0; i + 1 < items.length && entries.length < maxContainerItems; i += 2)
          entries.push([items[i]!, items[i + 1]!]);
        push(track({ kind: 'dict', entries }));
        break;
      }
      case 'SETITEM': {
        const value = pop();
        const key = pop();
        const dict = top();
        if (dict.kind === 'dict' && dict.entries.length < maxContainerItems) dict.entries.push([key, value]);
        break;
      }
      case 'SETITEMS': {
        const items = popMark();
        const dict = top();
        if (dict.kind === 'dict')
          for (let i = 0; i + 1 < items.length && dict.entries.length < maxContainerItems; i += 2)
            dict.entries.push([items[i]!, items[i + 1]!]);
        break;
      }
      case 'EMPTY_SET':
        push(other);
        break;
      case 'ADDITEMS':
        popMark();
        break;
      case 'FROZENSET':
        popMark();
        push(other);
        break;
      case 'NEXT_BUFFER':
        push(other);
        break;
      case 'READONLY_BUFFER':
        break;
      default:
        fail(`opcode ${name} is not handled`, offset);
    }
  }
}

/**
 * A joblib NumpyArrayWrapper instance: built by NEWOBJ (protocol 2+) or, in protocols 0 and 1,
 * by `copyreg._reconstructor(NumpyArrayWrapper, object, None)`.
 */
function isJoblibArrayWrapper(value: Value): value is Extract<Value, { kind: 'object' }> {
  if (value.kind !== 'object') return false;
  if (joblibArrayWrappers.has(value.global)) return true;
  const cls = value.args.kind === 'tuple' ? value.args.items[0] : undefined;
  return (
    value.global === 'copyreg._reconstructor' && cls?.kind === 'global' && joblibArrayWrappers.has(cls.name)
  );
}

/**
 * Protocols 0–2 have no bytes opcode: Python 3 pickles `bytes` as `_codecs.encode(text, 'latin1')`,
 * the text holding one code point per byte. Rebuilt here so a nested loader's argument is found
 * whatever the protocol.
 */
function latin1Bytes(args: Value): Value | undefined {
  if (args.kind !== 'tuple') return undefined;
  const [text, encoding] = args.items;
  if (encoding?.kind !== 'string' || !/^latin[-_]?1$/i.test(encoding.value)) return undefined;
  const value =
    text?.kind === 'string' ? text.value : text?.kind === 'text' ? utf8.decode(text.utf8) : undefined;
  if (value === undefined) return undefined;
  const copy = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) copy[i] = value.charCodeAt(i) & 0xff;
  return { kind: 'bytes', offset: text?.kind === 'text' ? text.offset : 0, length: copy.length, copy };
}

function tupleOf(items: Value[], track: (value: Value) => Value, kind: 'tuple' | 'list' = 'tuple'): Value {
  return track({ kind, items: items.slice(0, maxContainerItems) } as Value);
}

/** The value under `key` of a modelled dict. */
function entry(dict: Value | undefined, key: string): Value | undefined {
  if (dict?.kind !== 'dict') return undefined;
  return dict.entries.find(([k]) => k.kind === 'string' && k.value === key)?.[1];
}

/**
 * What joblib needs to read an array's bytes: the element size and whether elements are objects
 * (then a nested pickle follows instead of raw bytes). A dtype pickles as `numpy.dtype(descr, …)`
 * with BUILD state `(version, byteorder, subarray, names, fields, elsize, alignment, flags)`;
 * `elsize` is set for flexible types (U, S, V), and flag bit 0 is NPY_ITEM_HASOBJECT.
 */
function dtypeOf(value: Value | undefined): { itemSize: number; hasObject: boolean } | undefined {
  if (value?.kind !== 'object' || !/^numpy\.(?:core\.|_core\.)?(?:multiarray\.)?dtype$/.test(value.global))
    return undefined;
  const descr = value.args.kind === 'tuple' ? value.args.items[0] : undefined;
  if (descr?.kind !== 'string') return undefined;
  const state = value.state?.kind === 'tuple' ? value.state.items : [];
  const elsize = state[5];
  const flags = state[7];
  const hasObject = descr.value.startsWith('O') || (flags?.kind === 'int' && (flags.value & 1) === 1);
  if (hasObject) return { itemSize: 8, hasObject };
  if (elsize?.kind === 'int' && elsize.value > 0) return { itemSize: elsize.value, hasObject };
  const match = /^[A-Za-z]+(\d+)$/.exec(descr.value);
  const size = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(size) && size > 0 ? { itemSize: size, hasObject } : undefined;
}

/**
 * joblib's `NumpyUnpickler.load_build`: after BUILD of a NumpyArrayWrapper, the array follows in the
 * stream — a nested pickle for object arrays, else an optional alignment padding (a length byte and
 * that many bytes, when the wrapper records `numpy_array_alignment_bytes`) and count × itemsize raw
 * bytes. Skipping them exactly is what lets the rest of the stream be read as pickle again.
 */
async function skipJoblibArray(
  context: ParseContext,
  wrapper: Extract<Value, { kind: 'object' }>,
  offset: number,
): Promise<void> {
  const state = wrapper.state;
  const shape = entry(state, 'shape');
  const dtype = dtypeOf(entry(state, 'dtype'));
  const shapeItems = shape?.kind === 'tuple' ? shape.items : undefined;
  if (!dtype || !shapeItems?.every((d) => d.kind === 'int' && d.value >= 0))
    throw new PickleError(
      `joblib array at offset ${offset} has a shape or dtype the scanner cannot read, so its bytes cannot be skipped`,
      offset,
    );
  context.joblibArrays++;
  const cursor = context.cursor;
  if (dtype.hasObject) {
    if (context.depth + 1 > context.maxDepth)
      throw new LimitExceeded('nesting-depth', `joblib object arrays nest deeper than ${context.maxDepth}`);
    context.depth++;
    await parseOne(context);
    context.depth--;
    return;
  }
  const count = shapeItems.reduce((product, d) => product * (d as { value: number }).value, 1);
  const alignment = entry(state, 'numpy_array_alignment_bytes');
  if (alignment?.kind === 'int') {
    if (!(await cursor.fill(1))) throw new PickleError('joblib array padding is truncated', cursor.position);
    const padding = cursor.byte();
    if (!(await cursor.skip(padding)))
      throw new PickleError('joblib array padding is truncated', cursor.position);
  }
  const length = count * dtype.itemSize;
  if (!Number.isSafeInteger(length) || !(await cursor.skip(length)))
    throw new PickleError(
      `joblib array at offset ${offset} announces ${count} × ${dtype.itemSize} bytes, more than the data holds`,
      cursor.position,
    );
}
