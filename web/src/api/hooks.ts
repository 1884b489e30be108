import { type UseQueryOptions, useQuery } from '@tanstack/react-query';
import { useSession } from '../session.js';
import type { Query } from './client.js';

/** A GET against the API as a TanStack query keyed by path and query. */
export function useApiQuery<T>(
  path: string | undefined,
  query: Query = {},
  options: Omit<UseQueryOptions<T>, 'queryKey' | 'queryFn'> = {},
) {
  const { api } = useSession();
  return useQuery<T>({
    queryKey: [path, query],
    queryFn: () => api.get<T>(path!, query),
    enabled: path !== undefined && (options.enabled ?? true),
    ...options,
  });
}
