import { LimitExceeded } from './limits.js';
import type { RandomAccessReader } from './reader.js';
import type { ScanScope } from './scan-scope.js';

/**
 * ONNX models (a protobuf `ModelProto`), read with a minimal protobuf walker over the reader:
 * only the messages that matter are descended into (graph, nodes, attributes, tensors, functions),
 * and tensor payloads are skipped by their length, so a 2 GB model costs its structure. Reported:
 * operators of custom domains (they need a custom-op library, which is native code) and tensors whose
 * data lives in external files (a location outside the model directory is path traversal, as in
 * onnx's CVE-2024-27318/27319).
 */

/** Operator domains ONNX and ONNX Runtime implement themselves. */
const builtInDomains = new Set([
  '',
  'ai.onnx',
  'ai.onnx.ml',
  'ai.onnx.training',
  'ai.onnx.preview.training',
  'com.microsoft',
  'com.microsoft.nchwc',
  'com.microsoft.experimental',
  'com.ms.internal.nhwc',
]);

/** ModelProto field numbers and wire types (onnx.proto3). */
const modelFields: Record<number, number> = {
  1: 0,
  2: 2,
  3: 2,
  4: 2,
  5: 0,
  6: 2,
  7: 2,
  8: 2,
  14: 2,
  20: 2,
  25: 2,
  26: 2,
};

interface Field {
  number: number;
  wire: number;
  /** varint value (wire 0). */
  value: number;
  /** Payload offset and length (wire 2). */
  offset: number;
  length: number;
}

/** Reads a message's fields through a 1 MiB window that moves as the walk does. */
class ProtoReader {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  constructor(readonly reader: RandomAccessReader) {}

  private async byteAt(offset: number): Promise<number | undefined> {
    if (offset < this.windowStart || offset >= this.windowStart + this.window.length) {
      if (offset >= this.reader.size) return undefined;
      this.window = await this.reader.read(offset, 1024 * 1024);
      this.windowStart = offset;
    }
    return this.window[offset - this.windowStart];
  }

  private async varint(offset: number): Promise<[number, number] | undefined> {
    let value = 0;
    for (let i = 0; i < 10; i++) {
      const byte = await this.byteAt(offset + i);
      if (byte === undefined) return undefined;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) return [value, offset + i + 1];
    }
    return undefined;
  }

  async text(field: Field): Promise<string> {
    const bytes = await this.reader.read(field.offset, Math.min(field.length, 4096));
    return new TextDecoder().decode(bytes);
  }

  /** The fields of the message in [start, end); throws a Malformed when it does not parse to exactly end. */
  async *fields(start: number, end: number): AsyncGenerator<Field> {
    let at = start;
    while (at < end) {
      const key = await this.varint(at);
      if (!key) throw new Malformed(`field key at offset ${at} runs past the end`);
      const number = Math.floor(key[0] / 8);
      const wire = key[0] % 8;
      at = key[1];
      if (number === 0) throw new Malformed(`field number 0 at offset ${at}`);
      if (wire === 0) {
        const value = await this.varint(at);
        if (!value) throw new Malformed(`varint at offset ${at} runs past the end`);
        yield { number, wire, value: value[0], offset: at, length: 0 };
        at = value[1];
      } else if (wire === 2) {
        const length = await this.varint(at);
        if (!length || length[1] + length[0] > end)
          throw new Malformed(`field ${number} at offset ${at} runs past its message`);
        yield { number, wire, value: 0, offset: length[1], length: length[0] };
        at = length[1] + length[0];
      } else if (wire === 1 || wire === 5) {
        at += wire === 1 ? 8 : 4;
        if (at > end) throw new Malformed('fixed-size field runs past its message');
      } else throw new Malformed(`wire type ${wire} at offset ${at} is not used by ONNX`);
    }
    if (at !== end) throw new Malformed('message does not end where its length says');
  }
}

class Malformed extends Error {}

/** True when the whole file parses as a ModelProto with ir_version and a graph (onnx.save writes ir_version first). */
export async function isOnnx(reader: RandomAccessReader, head: Uint8Array): Promise<boolean> {
  if (head[0] !== 0x08) return false;
  const proto = new ProtoReader(reader);
  const seen = new Set<number>();
  try {
    let count = 0;
    for await (const field of proto.fields(0, reader.size)) {
      if (modelFields[field.number] !== field.wire || ++count > 100_000) return false;
      seen.add(field.number);
    }
  } catch (error) {
    if (error instanceof Malformed) return false;
    throw error;
  }
  return seen.has(1) && seen.has(7);
}

const maxGraphDepth = 32;
const maxNodes = 10_000_000;

interface OnnxFacts {
  domains: Map<string, { count: number; ops: Set<string> }>;
  external: Map<string, { tensors: number; firstTensor: string }>;
  functions: Set<string>;
  nodes: number;
}

/** Reports custom-op domains and external-data references of an ONNX model. */
export async function scanOnnx(file: string, reader: RandomAccessReader, scope: ScanScope): Promise<void> {
  const proto = new ProtoReader(reader);
  const facts: OnnxFacts = { domains: new Map(), external: new Map(), functions: new Set(), nodes: 0 };
  try {
    for await (const field of proto.fields(0, reader.size)) {
      if (field.number === 7) await walkGraph(proto, field, facts, 0);
      else if (field.number === 25) await walkFunction(proto, field, facts);
      else if (field.number === 20)
        for await (const graph of proto.fields(field.offset, field.offset + field.length))
          if (graph.wire === 2 && (graph.number === 1 || graph.number === 2))
            await walkGraph(proto, graph, facts, 1);
    }
  } catch (error) {
    if (!(error instanceof Malformed) && !(error instanceof LimitExceeded)) throw error;
    scope.report({
      file,
      offset: 0,
      severity: 'high',
      rule: error instanceof LimitExceeded ? 'scan-limit' : 'onnx-malformed',
      message: `the ONNX model cannot be read to its end: ${error.message}`,
    });
  }
  for (const [domain, { count, ops }] of facts.domains) {
    // Operators that a model-local function defines expand into that function's nodes: no custom code.
    const custom = [...ops].filter((op) => !facts.functions.has(`${domain}\0${op}`));
    if (builtInDomains.has(domain) || custom.length === 0) continue;
    const firstOp = custom[0];
    scope.report({
      file,
      offset: 0,
      severity: 'medium',
      rule: 'onnx-custom-op',
      message: `${count} node(s) use operators of the custom domain "${domain}" (first: ${firstOp}): a runtime runs them only with a custom-operator library registered, which is native code`,
    });
  }
  for (const [location, { tensors, firstTensor }] of facts.external) {
    const escapes = /^([/\\]|[A-Za-z]:)/.test(location) || location.split(/[/\\]/).includes('..');
    scope.report({
      file,
      offset: 0,
      severity: escapes ? 'high' : 'info',
      rule: 'onnx-external-data',
      message: escapes
        ? `${tensors} tensor(s) (first: ${firstTensor}) read external data from "${location}", outside the model's directory (path traversal, CVE-2024-27318)`
        : `${tensors} tensor(s) (first: ${firstTensor}) keep their data in the external file "${location}", which must ship and be checked with the model`,
    });
  }
}

async function walkFunction(proto: ProtoReader, fn: Field, facts: OnnxFacts): Promise<void> {
  let name = '';
  let domain = '';
  const nodes: Field[] = [];
  for await (const field of proto.fields(fn.offset, fn.offset + fn.length)) {
    if (field.number === 1 && field.wire === 2) name = await proto.text(field);
    else if (field.number === 10 && field.wire === 2) domain = await proto.text(field);
    else if (field.number === 7 && field.wire === 2) nodes.push(field);
  }
  facts.functions.add(`${domain}\0${name}`);
  for (const node of nodes) await walkNode(proto, node, facts, 1);
}

async function walkGraph(proto: ProtoReader, graph: Field, facts: OnnxFacts, depth: number): Promise<void> {
  if (depth > maxGraphDepth)
    throw new LimitExceeded('nesting-depth', `subgraphs nest deeper than ${maxGraphDepth}`);
  for await (const field of proto.fields(graph.offset, graph.offset + graph.length)) {
    if (field.wire !== 2) continue;
    if (field.number === 1) await walkNode(proto, field, facts, depth);
    else if (field.number === 5) await walkTensor(proto, field, facts);
    else if (field.number === 15)
      for await (const part of proto.fields(field.offset, field.offset + field.length))
        if (part.wire === 2 && (part.number === 1 || part.number === 2)) await walkTensor(proto, part, facts);
  }
}

async function walkNode(proto: ProtoReader, node: Field, facts: OnnxFacts, depth: number): Promise<void> {
  if (++facts.nodes > maxNodes) throw new LimitExceeded('pickle-complexity', `more than ${maxNodes} nodes`);
  let opType = '';
  let domain = '';
  for await (const field of proto.fields(node.offset, node.offset + node.length)) {
    if (field.wire !== 2) continue;
    if (field.number === 4) opType = await proto.text(field);
    else if (field.number === 7) domain = await proto.text(field);
    else if (field.number === 5) await walkAttribute(proto, field, facts, depth);
  }
  const known = facts.domains.get(domain) ?? { count: 0, ops: new Set<string>() };
  known.count++;
  if (known.ops.size < 64) known.ops.add(opType);
  facts.domains.set(domain, known);
}

async function walkAttribute(
  proto: ProtoReader,
  attribute: Field,
  facts: OnnxFacts,
  depth: number,
): Promise<void> {
  for await (const field of proto.fields(attribute.offset, attribute.offset + attribute.length)) {
    if (field.wire !== 2) continue;
    if (field.number === 5 || field.number === 10) await walkTensor(proto, field, facts);
    else if (field.number === 6 || field.number === 11) await walkGraph(proto, field, facts, depth + 1);
  }
}

async function walkTensor(proto: ProtoReader, tensor: Field, facts: OnnxFacts): Promise<void> {
  let name = '';
  let external = false;
  let location: string | undefined;
  for await (const field of proto.fields(tensor.offset, tensor.offset + tensor.length)) {
    if (field.number === 8 && field.wire === 2) name = await proto.text(field);
    else if (field.number === 14 && field.wire === 0) external = field.value === 1;
    else if (field.number === 13 && field.wire === 2) {
      let key = '';
      let value = '';
      for await (const part of proto.fields(field.offset, field.offset + field.length)) {
        if (part.number === 1 && part.wire === 2) key = await proto.text(part);
        else if (part.number === 2 && part.wire === 2) value = await proto.text(part);
      }
      if (key === 'location') location = value;
    }
  }
  if (!external && location === undefined) return;
  const where = location ?? '(no location)';
  const known = facts.external.get(where);
  if (known) known.tensors++;
  else facts.external.set(where, { tensors: 1, firstTensor: name || '(unnamed)' });
}
