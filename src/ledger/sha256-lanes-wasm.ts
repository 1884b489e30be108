/**
 * The bytes of a WebAssembly module computing SHA-256 (FIPS 180-4) of many messages in one call,
 * four at a time in the four 32-bit lanes of SIMD vectors: the rounds are the same for every
 * message, so one vector instruction advances four of them. Generated here, by the code below,
 * rather than shipped as a binary or assembled by a tool: the rounds are unrolled with their
 * registers renamed each round, which a generator writes in a few lines.
 *
 * Exported: `memory`, and `hash(prefix, data, ends, stride, count, out)`, which writes to
 * out + 32 i the digest of the byte `prefix` followed by message i, for i < count. Message i is
 * data[start(i), end(i)) with end(i) = (i + 1) * stride when stride is not 0, else the u32 at
 * ends + 4 i (start(i) is end(i - 1), or 0). The caller lays the memory out: bytes 0–63 must stay
 * zero (blocks past a message's end read them) and 64–575 are scratch, so data starts at 576 or
 * later.
 */

const k = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];
const initial = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/** Where the zero block and the per-lane scratch (128 bytes each) live; data goes at `dataFloor` or later. */
export const zeroBlock = 0;
const scratch = 64;
export const dataFloor = 576;

// Opcodes used (WebAssembly core 2.0 with SIMD).
const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  i32Load: 0x28,
  i32Store8: 0x3a,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32GtU: 0x4b,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  void: 0x40,
} as const;
// After the 0xfd prefix.
const simd = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  i32x4Splat: 0x11,
  i8x16ReplaceLane: 0x17,
  i32x4ReplaceLane: 0x1c,
  i32x4LtS: 0x39,
  and: 0x4e,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
} as const;
const i32 = 0x7f;
const v128 = 0x7b;

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

// concat rather than spread: spreading the 20,000-byte body element by element was most of the generation time.
const section = (id: number, body: number[]) => [id, ...uleb(body.length)].concat(body);
const vector = (items: number[][]) => uleb(items.length).concat(...items);
const name = (text: string) => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];

/** The function body, written as a stack machine; locals are allocated by name. */
class Body {
  readonly code: number[] = [];
  private readonly locals: number[] = [];
  private readonly params: number;

  constructor(params: number) {
    this.params = params;
  }

  local(type: number): number {
    this.locals.push(type);
    return this.params + this.locals.length - 1;
  }

  emit(...bytes: number[]): this {
    for (const byte of bytes) this.code.push(byte);
    return this;
  }
  get(index: number): this {
    return this.emit(op.localGet, ...uleb(index));
  }
  set(index: number): this {
    return this.emit(op.localSet, ...uleb(index));
  }
  const(value: number): this {
    return this.emit(op.i32Const, ...sleb(value | 0));
  }
  v(opcode: number, ...immediates: number[]): this {
    return this.emit(0xfd, ...uleb(opcode), ...immediates);
  }
  splat(value: number): this {
    const lane = [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
    return this.v(simd.const, ...lane, ...lane, ...lane, ...lane);
  }
  /** Shuffle of the two vectors on the stack, by 32-bit lane (0–3 first, 4–7 second). */
  shuffle32(lanes: number[]): this {
    return this.v(
      simd.shuffle,
      ...lanes.flatMap((lane) => [lane * 4, lane * 4 + 1, lane * 4 + 2, lane * 4 + 3]),
    );
  }
  rotr(x: number, bits: number): this {
    return this.get(x)
      .const(32 - bits)
      .v(simd.i32x4Shl)
      .get(x)
      .const(bits)
      .v(simd.i32x4ShrU)
      .v(simd.or);
  }
  shr(x: number, bits: number): this {
    return this.get(x).const(bits).v(simd.i32x4ShrU);
  }

  /** if/else with a result of `type` (or none), the condition on the stack. */
  if_(then: () => unknown, otherwise?: () => unknown, type: number = op.void): this {
    this.emit(op.if, type);
    then();
    if (otherwise) {
      this.emit(op.else);
      otherwise();
    }
    return this.emit(op.end);
  }
  loop_(inner: () => unknown): this {
    this.emit(op.loop, op.void);
    inner();
    return this.emit(op.end);
  }
  block_(inner: () => unknown): this {
    this.emit(op.block, op.void);
    inner();
    return this.emit(op.end);
  }

  encode(): number[] {
    const groups: number[][] = [];
    for (const type of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === type) last[0]!++;
      else groups.push([1, type]);
    }
    const body = vector(groups.map(([count, type]) => [...uleb(count!), type!])).concat(this.code, [op.end]);
    return uleb(body.length).concat(body);
  }
}

const memarg = (offset = 0) => [0, ...uleb(offset)];

function hashFunction(): number[] {
  const [prefix, data, ends, stride, count, out] = [0, 1, 2, 3, 4, 5];
  const f = new Body(6);
  const group = f.local(i32);
  const index = f.local(i32);
  const start = f.local(i32);
  const length = f.local(i32);
  const block = f.local(i32);
  const blocks = f.local(i32);
  const tailAt = f.local(i32);
  const base = [0, 1, 2, 3].map(() => f.local(i32));
  const full = [0, 1, 2, 3].map(() => f.local(i32));
  const total = [0, 1, 2, 3].map(() => f.local(i32));
  const state = initial.map(() => f.local(v128));
  const work = initial.map(() => f.local(v128));
  const w = Array.from({ length: 16 }, () => f.local(v128));
  const quarter = Array.from({ length: 16 }, () => f.local(v128));
  const t = [0, 1, 2, 3].map(() => f.local(v128));
  const sum = f.local(v128);
  const totals = f.local(v128);

  /** end(i) of the message whose index is in local `i`, plus `delta` messages. */
  const endOf = (i: number, delta: number) => {
    f.get(stride).if_(
      () =>
        f
          .get(i)
          .const(delta + 1)
          .emit(op.i32Add)
          .get(stride)
          .emit(op.i32Mul),
      () =>
        f
          .get(ends)
          .get(i)
          .const(delta)
          .emit(op.i32Add)
          .const(2)
          .emit(op.i32Shl)
          .emit(op.i32Add)
          .emit(op.i32Load, 2, 0),
      i32,
    );
  };
  const bswapAll = (x: number) =>
    f.get(x).get(x).v(simd.shuffle, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12).set(x);
  /** y[r] lane j = x[j] lane r: the 4 × 4 transpose of 32-bit lanes. */
  const transpose = (x: number[], y: number[]) => {
    f.get(x[0]!).get(x[1]!).shuffle32([0, 4, 1, 5]).set(t[0]!);
    f.get(x[2]!).get(x[3]!).shuffle32([0, 4, 1, 5]).set(t[1]!);
    f.get(x[0]!).get(x[1]!).shuffle32([2, 6, 3, 7]).set(t[2]!);
    f.get(x[2]!).get(x[3]!).shuffle32([2, 6, 3, 7]).set(t[3]!);
    f.get(t[0]!).get(t[1]!).shuffle32([0, 1, 4, 5]).set(y[0]!);
    f.get(t[0]!).get(t[1]!).shuffle32([2, 3, 6, 7]).set(y[1]!);
    f.get(t[2]!).get(t[3]!).shuffle32([0, 1, 4, 5]).set(y[2]!);
    f.get(t[2]!).get(t[3]!).shuffle32([2, 3, 6, 7]).set(y[3]!);
  };

  f.const(0).set(group);
  f.block_(() =>
    f.loop_(() => {
      f.get(group).get(count).emit(op.i32GeU).emit(op.brIf, 1);
      // Each lane's message: where its stream starts (one byte before its data, where the prefix
      // goes), how many whole 64-byte blocks it reads in place, how many blocks in all; the rest
      // (the message's tail, the 0x80, zeros, the length) is built in the lane's scratch.
      for (let lane = 0; lane < 4; lane++) {
        f.get(group).const(lane).emit(op.i32Add).set(index);
        f.get(index)
          .get(count)
          .emit(op.i32LtU)
          .if_(
            () => {
              f.get(index).if_(
                () => endOf(index, -1),
                () => f.const(0),
                i32,
              );
              f.set(start);
              endOf(index, 0);
              f.get(start).emit(op.i32Sub).const(1).emit(op.i32Add).set(length);
              f.get(data).get(start).emit(op.i32Add).const(1).emit(op.i32Sub).set(base[lane]!);
              f.get(length).const(6).emit(op.i32ShrU).set(full[lane]!);
              f.get(length).const(72).emit(op.i32Add).const(6).emit(op.i32ShrU).set(total[lane]!);
              const lanes = scratch + 128 * lane;
              f.const(lanes).const(0).const(128).emit(0xfc, 11, 0);
              f.get(full[lane]!).const(6).emit(op.i32Shl).set(start);
              f.const(lanes)
                .get(base[lane]!)
                .get(start)
                .emit(op.i32Add)
                .get(length)
                .get(start)
                .emit(op.i32Sub)
                .emit(0xfc, 10, 0, 0);
              f.const(lanes).get(length).emit(op.i32Add).get(start).emit(op.i32Sub).const(0x80);
              f.emit(op.i32Store8, 0, 0);
              // Length in bits, big-endian, in the last 4 bytes of the last block (the 4 before stay 0).
              f.const(lanes)
                .get(total[lane]!)
                .get(full[lane]!)
                .emit(op.i32Sub)
                .const(6)
                .emit(op.i32Shl)
                .emit(op.i32Add)
                .set(tailAt);
              f.get(length).const(3).emit(op.i32Shl).set(length);
              for (let byte = 0; byte < 4; byte++) {
                f.get(tailAt)
                  .const(1 + byte)
                  .emit(op.i32Sub)
                  .get(length)
                  .const(8 * byte)
                  .emit(op.i32ShrU)
                  .emit(op.i32Store8, 0, 0);
              }
            },
            () => {
              f.const(0).set(full[lane]!).const(0).set(total[lane]!).const(zeroBlock).set(base[lane]!);
            },
          );
      }
      f.get(total[0]!).v(simd.i32x4Splat);
      for (let lane = 1; lane < 4; lane++) f.get(total[lane]!).v(simd.i32x4ReplaceLane, lane);
      f.set(totals);
      for (let i = 0; i < 8; i++) f.splat(initial[i]!).set(state[i]!);
      f.const(0).set(block);
      // blocks = the most any lane needs.
      f.get(total[0]!).set(blocks);
      for (let lane = 1; lane < 4; lane++) {
        f.get(total[lane]!)
          .get(blocks)
          .get(total[lane]!)
          .get(blocks)
          .emit(op.i32GtU)
          .emit(op.select)
          .set(blocks);
      }
      f.block_(() =>
        f.loop_(() => {
          f.get(block).get(blocks).emit(op.i32GeU).emit(op.brIf, 1);
          for (let lane = 0; lane < 4; lane++) {
            // In place, from the lane's scratch, or (past its last block) the zero block.
            f.get(base[lane]!).get(block).const(6).emit(op.i32Shl).emit(op.i32Add);
            f.const(scratch + 128 * lane)
              .get(block)
              .get(full[lane]!)
              .emit(op.i32Sub)
              .const(6)
              .emit(op.i32Shl)
              .emit(op.i32Add);
            f.const(zeroBlock).get(block).get(total[lane]!).emit(op.i32LtU).emit(op.select);
            f.get(block).get(full[lane]!).emit(op.i32LtU).emit(op.select).set(start);
            for (let q = 0; q < 4; q++)
              f.get(start)
                .v(simd.load, ...memarg(16 * q))
                .set(quarter[lane * 4 + q]!);
          }
          f.get(block)
            .emit(op.i32Eqz)
            .if_(() => {
              for (let lane = 0; lane < 4; lane++)
                f.get(quarter[lane * 4]!)
                  .get(prefix)
                  .v(simd.i8x16ReplaceLane, 0)
                  .set(quarter[lane * 4]!);
            });
          for (const x of quarter) bswapAll(x);
          for (let q = 0; q < 4; q++)
            transpose(
              [0, 1, 2, 3].map((lane) => quarter[lane * 4 + q]!),
              w.slice(4 * q, 4 * q + 4),
            );
          for (let i = 0; i < 8; i++) f.get(state[i]!).set(work[i]!);
          rounds(f, work, w, t[0]!, t[1]!);
          // Lanes past their last block keep their state.
          f.get(block).v(simd.i32x4Splat).get(totals).v(simd.i32x4LtS).set(sum);
          for (let i = 0; i < 8; i++)
            f.get(state[i]!)
              .get(work[i]!)
              .v(simd.i32x4Add)
              .get(state[i]!)
              .get(sum)
              .v(simd.bitselect)
              .set(state[i]!);
          f.get(block).const(1).emit(op.i32Add).set(block).emit(op.br, 0);
        }),
      );
      // Back to one digest per lane, big-endian, each lane's 32 bytes at out + 32 (group + lane).
      transpose(state.slice(0, 4), quarter.slice(0, 4));
      transpose(state.slice(4, 8), quarter.slice(4, 8));
      for (let i = 0; i < 8; i++) bswapAll(quarter[i]!);
      for (let lane = 0; lane < 4; lane++) {
        f.get(group)
          .const(lane)
          .emit(op.i32Add)
          .get(count)
          .emit(op.i32LtU)
          .if_(() => {
            f.get(out)
              .get(group)
              .const(lane)
              .emit(op.i32Add)
              .const(5)
              .emit(op.i32Shl)
              .emit(op.i32Add)
              .set(start);
            f.get(start)
              .get(quarter[lane]!)
              .v(simd.store, ...memarg(0));
            f.get(start)
              .get(quarter[4 + lane]!)
              .v(simd.store, ...memarg(16));
          });
      }
      f.get(group).const(4).emit(op.i32Add).set(group).emit(op.br, 0);
    }),
  );
  return f.encode();
}

/** The 64 rounds, unrolled, renaming the eight working variables instead of moving them. */
function rounds(f: Body, work: number[], w: number[], t1: number, t2: number): void {
  let [a, b, c, d, e, g, h, hh] = work as [number, number, number, number, number, number, number, number];
  for (let r = 0; r < 64; r++) {
    const wr = w[r % 16]!;
    if (r >= 16) {
      // w[r] = σ1(w[r-2]) + w[r-7] + σ0(w[r-15]) + w[r-16]
      const w2 = w[(r - 2) % 16]!;
      const w15 = w[(r - 15) % 16]!;
      f.rotr(w2, 17).rotr(w2, 19).v(simd.xor).shr(w2, 10).v(simd.xor);
      f.get(w[(r - 7) % 16]!).v(simd.i32x4Add);
      f.rotr(w15, 7).rotr(w15, 18).v(simd.xor).shr(w15, 3).v(simd.xor).v(simd.i32x4Add);
      f.get(wr).v(simd.i32x4Add).set(wr);
    }
    // t1 = hh + Σ1(e) + Ch(e, g, h) + k[r] + w[r]
    f.get(hh);
    f.rotr(e, 6).rotr(e, 11).v(simd.xor).rotr(e, 25).v(simd.xor).v(simd.i32x4Add);
    f.get(g).get(h).get(e).v(simd.bitselect).v(simd.i32x4Add);
    f.splat(k[r]!).v(simd.i32x4Add);
    f.get(wr).v(simd.i32x4Add).set(t1);
    // t2 = Σ0(a) + Maj(a, b, c); Maj is b where a and c differ, else a.
    f.rotr(a, 2).rotr(a, 13).v(simd.xor).rotr(a, 22).v(simd.xor);
    f.get(b).get(c).get(a).get(c).v(simd.xor).v(simd.bitselect).v(simd.i32x4Add).set(t2);
    f.get(d).get(t1).v(simd.i32x4Add).set(d);
    f.get(t1).get(t2).v(simd.i32x4Add).set(hh);
    [a, b, c, d, e, g, h, hh] = [hh, a, b, c, d, e, g, h];
  }
}

/** The module's bytes; its memory starts at `pages` pages of 64 KiB and the caller grows it. */
export function sha256LanesModule(pages = 1): Uint8Array {
  const params = [i32, i32, i32, i32, i32, i32];
  return new Uint8Array(
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00].concat(
      section(1, vector([[0x60, ...vector(params.map((p) => [p])), 0]])),
      section(3, vector([[0]])),
      section(5, vector([[0x00, ...uleb(pages)]])),
      section(
        7,
        vector([
          [...name('memory'), 0x02, 0],
          [...name('hash'), 0x00, 0],
        ]),
      ),
      section(10, vector([hashFunction()])),
    ),
  );
}
