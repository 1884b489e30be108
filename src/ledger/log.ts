import { type Checkpoint, signCheckpoint } from './checkpoint.js';
import { buildEntry, type LedgerAppend, type LedgerEntry, type PersonalValue } from './entry.js';
import type { NoteSigner } from './note.js';
import { emptyRoot, leafHash, nodeHash } from './rfc6962.js';
import type { LedgerReader, LedgerWriter, StoredCheckpoint, StoredEntry, StoredNode } from './storage.js';
import { consistencyRanges, inclusionRanges, type NodeId, rangeNodes } from './tree-math.js';

/** An entry just appended: where it is and what it hashes to. */
export interface AppendedEntry {
  seq: number;
  leafHash: Uint8Array;
  entry: LedgerEntry;
}

interface Frontier {
  size: number;
  /** The perfect subtrees covering [0, size), largest first (rangeNodes(0, size)). */
  nodes: StoredNode[];
  /** Hash of the last leaf, to check the cache against storage. */
  lastLeaf: Uint8Array | undefined;
  /** The writer's epoch when the frontier was last known current. */
  epoch?: number | undefined;
}

function foldRight(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return emptyRoot;
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * The append-only Merkle log. The tree grows incrementally: appending keeps the right edge
 * (the frontier) and writes each perfect subtree once, when it completes, so roots and proofs
 * at any size read O(log n) stored nodes and nothing is ever recomputed in full.
 *
 * The frontier is cached between appends and revalidated against storage (size and last leaf)
 * on every append, so a rolled-back transaction or another replica's append is never built on.
 */
export class MerkleLog {
  private frontier: Frontier | undefined;

  constructor(
    private readonly options: {
      origin: string;
      clock: () => Date;
      signer?: NoteSigner;
    },
  ) {}

  get origin(): string {
    return this.options.origin;
  }

  /** Appends entries in order inside the caller's transaction; nothing is visible until it commits. */
  async append(writer: LedgerWriter, appends: readonly LedgerAppend[]): Promise<AppendedEntry[]> {
    if (appends.length === 0) return [];
    const frontier = await this.currentFrontier(writer);
    const time = this.options.clock();
    const entries: StoredEntry[] = [];
    const nodes: StoredNode[] = [];
    const personal: PersonalValue[] = [];
    const appended: AppendedEntry[] = [];
    const working: Frontier = {
      size: frontier.size,
      nodes: [...frontier.nodes],
      lastLeaf: frontier.lastLeaf,
    };
    for (const append of appends) {
      const seq = working.size;
      const built = buildEntry(append, seq, time);
      const hash = leafHash(built.bytes);
      entries.push({
        seq,
        time: built.entry.time,
        type: append.type,
        actor: append.actor,
        subject: append.subject,
        bytes: built.bytes,
        leafHash: hash,
      });
      personal.push(...built.personal);
      appended.push({ seq, leafHash: hash, entry: built.entry });
      working.nodes.push({ level: 0, index: seq, hash });
      working.size++;
      working.lastLeaf = hash;
      // Merge equal-sized subtrees at the right edge: each merge completes a perfect subtree.
      while (working.nodes.length >= 2) {
        const right = working.nodes[working.nodes.length - 1]!;
        const left = working.nodes[working.nodes.length - 2]!;
        if (left.level !== right.level) break;
        const merged = {
          level: left.level + 1,
          index: left.index / 2,
          hash: nodeHash(left.hash, right.hash),
        };
        working.nodes.splice(-2, 2, merged);
        nodes.push(merged);
      }
    }
    await writer.insertAppend({ entries, nodes, personal });
    this.frontier = { ...working, epoch: writer.epoch };
    return appended;
  }

  private async currentFrontier(writer: LedgerWriter): Promise<Frontier> {
    const cached = this.frontier;
    if (cached && writer.epoch !== undefined && cached.epoch === writer.epoch) return cached;
    const { size, lastLeaf, frontier } = await writer.tail();
    if (
      cached &&
      cached.size === size &&
      (size === 0 || (lastLeaf && cached.lastLeaf && sameBytes(cached.lastLeaf, lastLeaf)))
    ) {
      cached.epoch = writer.epoch;
      return cached;
    }
    const ids = rangeNodes(0, size);
    if (frontier && frontier.length !== ids.length)
      throw new Error(
        `the frontier read with the tail of a log of size ${size} has ${frontier.length} nodes, not ${ids.length}`,
      );
    // Read with the tail (another replica appended since), or now: the nodes and the last leaf.
    const hashes = frontier
      ? [...frontier, lastLeaf]
      : size === 0
        ? []
        : await writer.nodes([...ids, { level: 0, index: size - 1 }]);
    this.frontier = {
      size,
      nodes: ids.map((id, i) => ({ ...id, hash: hashes[i]! })),
      lastLeaf: hashes[ids.length],
      epoch: writer.epoch,
    };
    return this.frontier;
  }

  /** Root hash of the tree at `size` (default: now); requires size <= the log's size. */
  async root(
    reader: Pick<LedgerReader, 'size' | 'nodes'>,
    size?: number,
  ): Promise<{ size: number; root: Uint8Array }> {
    const treeSize = size ?? (await reader.size());
    await this.requireSize(reader, treeSize);
    return { size: treeSize, root: await rangeHash(reader, 0, treeSize) };
  }

  /** Inclusion proof of entry `index` in the tree at `treeSize`. */
  async inclusionProof(
    reader: Pick<LedgerReader, 'size' | 'nodes'>,
    index: number,
    treeSize: number,
  ): Promise<Uint8Array[]> {
    await this.requireSize(reader, treeSize);
    if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize) {
      throw new RangeError(`index ${index} is not in a tree of size ${treeSize}`);
    }
    return rangeHashes(reader, inclusionRanges(index, treeSize));
  }

  /** Consistency proof between the trees at `oldSize` and `newSize`. */
  async consistencyProof(
    reader: Pick<LedgerReader, 'size' | 'nodes'>,
    oldSize: number,
    newSize: number,
  ): Promise<Uint8Array[]> {
    await this.requireSize(reader, newSize);
    if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) {
      throw new RangeError(`old size ${oldSize} must be between 0 and ${newSize}`);
    }
    return rangeHashes(reader, consistencyRanges(oldSize, newSize));
  }

  private async requireSize(reader: Pick<LedgerReader, 'size'>, treeSize: number): Promise<void> {
    const size = await reader.size();
    if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > size) {
      throw new RangeError(`tree size ${treeSize} is not between 0 and the log size ${size}`);
    }
  }

  /**
   * Signs a checkpoint of the tree as it stands in `writer` and stores it. Called inside a
   * write transaction so the size and root are those of committed-with-it state.
   */
  async checkpoint(writer: LedgerWriter): Promise<StoredCheckpoint> {
    const signer = this.options.signer;
    if (!signer) throw new Error('this log has no signing key');
    const size = await writer.size();
    const checkpoint: Checkpoint = {
      origin: this.options.origin,
      size,
      root: await rangeHash(writer, 0, size),
    };
    const stored = {
      size,
      root: checkpoint.root,
      note: signCheckpoint(checkpoint, signer),
      createdAt: this.options.clock().toISOString(),
    };
    await writer.insertCheckpoint(stored);
    return stored;
  }
}

/** Hash of the leaf range [start, end) from stored perfect subtrees. */
export async function rangeHash(
  reader: Pick<LedgerReader, 'nodes'>,
  start: number,
  end: number,
): Promise<Uint8Array> {
  if (end === start) return emptyRoot;
  return foldRight(await reader.nodes(rangeNodes(start, end)));
}

async function rangeHashes(
  reader: Pick<LedgerReader, 'nodes'>,
  ranges: readonly [number, number][],
): Promise<Uint8Array[]> {
  const plans = ranges.map(([start, end]) => rangeNodes(start, end));
  const all: NodeId[] = plans.flat();
  const hashes = all.length === 0 ? [] : await reader.nodes(all);
  let offset = 0;
  return plans.map((plan) => {
    const slice = hashes.slice(offset, offset + plan.length);
    offset += plan.length;
    return foldRight(slice);
  });
}
