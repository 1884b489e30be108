import { relativeTime } from './time.js';

/**
 * What a view says when a refresh failed after it had shown data: it keeps the data (better than
 * nothing while the server is away) and says how old it is. Pure, so it tests without a browser.
 */

/** An error's message for people; anything thrown that is not an Error is shown as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `Could not refresh: <message> — showing what was loaded 3 min. ago`. `loadedAt` is when the shown
 * data arrived (TanStack's `dataUpdatedAt`, epoch ms); 0 or less means unknown.
 */
export function staleDataNotice(error: unknown, loadedAt: number, now: Date): string {
  const when = loadedAt > 0 ? relativeTime(new Date(loadedAt), now) : 'earlier';
  return `Could not refresh: ${errorMessage(error)} — showing what was loaded ${when}`;
}
