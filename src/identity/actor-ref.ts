/**
 * One identity namespace. Every actor is stored, ledgered and compared as a typed reference —
 * `user:alice` for a person, `system:deploy-bot` for a registered AI System — so a person can
 * never be taken for a System (report its outcomes, share its idempotency keys or its activity)
 * by choosing its name. `arbiter` (the server itself) is the one untyped actor.
 *
 * Entries and rows written before typed references existed hold the bare name; `actorName`
 * and `sameActor` read both forms.
 */

export const actorKinds = ['user', 'system'] as const;
export type ActorRefKind = (typeof actorKinds)[number];

/** `user:NAME` or `system:ID`. */
export type ActorRef = `${ActorRefKind}:${string}`;

/** The reference of a person; `name` must already be in normal form (names.ts). */
export function userRef(name: string): ActorRef {
  return `user:${name}`;
}

/** The reference of a registered System. */
export function systemRef(id: string): ActorRef {
  return `system:${id}`;
}

/** The kind and name of a typed reference; undefined for a bare (legacy) name or `arbiter`. */
export function parseActorRef(ref: string): { kind: ActorRefKind; name: string } | undefined {
  const colon = ref.indexOf(':');
  if (colon < 0) return undefined;
  const kind = ref.slice(0, colon);
  if (kind !== 'user' && kind !== 'system') return undefined;
  const name = ref.slice(colon + 1);
  return name.length > 0 ? { kind, name } : undefined;
}

/** The bare name of a reference (`deploy-bot` for `system:deploy-bot`); a bare name is itself. */
export function actorName(ref: string): string {
  return parseActorRef(ref)?.name ?? ref;
}

/**
 * True when a ledger entry's actor names the actor a row holds: equal references, or — for an
 * entry written before typed references — the bare name of the row's reference.
 */
export function sameActor(entryActor: string, rowRef: string): boolean {
  return (
    entryActor === rowRef || (parseActorRef(entryActor) === undefined && entryActor === actorName(rowRef))
  );
}
