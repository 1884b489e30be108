import { useApiQuery } from './api/hooks.js';
import type { System } from './api/types.js';

/** The registry, shared by every view that needs owner teams (it changes rarely). */
export function useSystems() {
  return useApiQuery<{ systems: System[] }>('/v1/systems', {}, { staleTime: 30_000 });
}

/** Owner team by System id. */
export function ownerTeams(systems: readonly System[] | undefined): Map<string, string | undefined> {
  return new Map((systems ?? []).map((system) => [system.id, system.owner?.team]));
}
