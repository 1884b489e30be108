/**
 * Field chains read once per context. The conditions of a bundle read the same few chains over and
 * over (`request.change.linesChanged` by 50 of 200 rules), so each distinct chain gets a number at
 * load, and the compiled closures (cel-closure.ts) read it through a `ChainReads` that resolves it
 * on first use and keeps the answer for every later rule evaluated against the same context.
 */

/** What a chain resolves to when the closures cannot read it as plain data: the interpreter decides. */
export const unreadable: unique symbol = Symbol('unreadable');

/** The distinct field chains of one bundle's conditions, numbered as they are first compiled. */
export class FieldChains {
  readonly #slots = new Map<string, number>();

  /** The number of `names` (`['request', 'change', 'linesChanged']`), assigned on first sight. */
  slot(names: readonly string[]): number {
    const key = JSON.stringify(names);
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.#slots.size;
      this.#slots.set(key, slot);
    }
    return slot;
  }

  get size(): number {
    return this.#slots.size;
  }

  #factSets = 0;

  /**
   * A number for a fact set the bundle interns (facts.ts): a scope keeps each set's collected
   * facts in an array by this number instead of a Map keyed by the set.
   */
  numberFactSet(): number {
    return this.#factSets++;
  }

  /** How many fact sets are numbered. */
  get factSets(): number {
    return this.#factSets;
  }

  readonly #factPaths = new Map<string, number>();

  /** The number of a fact path (`request.change.linesChanged`) the bundle's fact sets read. */
  factPathSlot(path: string): number {
    let slot = this.#factPaths.get(path);
    if (slot === undefined) {
      slot = this.#factPaths.size;
      this.#factPaths.set(path, slot);
    }
    return slot;
  }

  /** How many fact paths are numbered. */
  get factPaths(): number {
    return this.#factPaths.size;
  }
}

/**
 * The chains of one table resolved against one context. The context must not change while this
 * lives: a verdict's scope never changes once its variables are set, and is built afresh per verdict.
 */
export class ChainReads {
  /** By slot: the chain's value, `unreadable`, or undefined while it has not been read. */
  readonly values: unknown[];

  constructor(
    readonly context: Record<string, unknown>,
    readonly chains: FieldChains | undefined,
  ) {
    this.values = new Array(chains?.size ?? 0);
  }
}

/**
 * A chain of own fields of plain objects (prototype `Object.prototype` or null), or `unreadable`
 * when anything on the way is something else (absent, undefined, a Map, a list, a Date). An object
 * with an own `constructor` field (`{"constructor": 1}` in a request) is something else too: cel-js
 * types objects by their `constructor` and refuses that one, so the interpreter must answer (an error,
 * which fails closed) — answering here could fire an allow rule cel-js would refuse.
 */
export function resolveChain(context: Record<string, unknown>, names: readonly string[]): unknown {
  let target: unknown = context;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (typeof target !== 'object' || target === null || Array.isArray(target)) return unreadable;
    const prototype = Object.getPrototypeOf(target);
    if (
      (prototype !== Object.prototype && prototype !== null) ||
      Object.hasOwn(target, 'constructor') ||
      !Object.hasOwn(target, name)
    )
      return unreadable;
    target = (target as Record<string, unknown>)[name];
    if (target === undefined) return unreadable;
  }
  return target;
}
