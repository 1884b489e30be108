import type { JsonValue } from '../core/json.js';

/**
 * Length bounds for text that leaves Arbiter in a notification. Agents write much of it (actions,
 * resource ids, outcome details, and policy messages that quote their requests), and every
 * receiver has limits of its own (PagerDuty: a 1024-character summary, a 255-character dedup key;
 * Slack: 3000 characters per text object): over them, a receiver refuses the whole delivery, and
 * a page that is refused is a page nobody gets.
 */

const ellipsis = '…';

/**
 * `text` cut to at most `max` UTF-16 code units, the last of them `…` when anything was cut. A
 * surrogate pair is never split, so the result is still well-formed Unicode. Requires max ≥ 1.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ellipsis.length;
  const last = text.charCodeAt(end - 1);
  // A high surrogate at the cut would lose its pair.
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, Math.max(0, end))}${ellipsis}`;
}

/** How far a JSON value sent to a receiver may reach. */
export interface JsonBounds {
  /** Longest string (and object key), in UTF-16 code units. */
  maxString: number;
  /** Most items of an array and entries of an object; the rest are dropped. */
  maxItems: number;
  /** Deepest nesting; deeper values are replaced by the string `…`. */
  maxDepth: number;
}

/**
 * A copy of `value` within `bounds`: long strings cut (truncateText), long arrays and objects cut
 * to their first items, deep values replaced. Iterative, so a hostile nesting cannot exhaust the
 * stack.
 */
export function boundJson(value: JsonValue, bounds: JsonBounds): JsonValue {
  const root: { value: JsonValue } = { value: null };
  const pending: { source: JsonValue; depth: number; assign: (copy: JsonValue) => void }[] = [
    { source: value, depth: 0, assign: (copy) => (root.value = copy) },
  ];
  while (pending.length > 0) {
    const { source, depth, assign } = pending.pop()!;
    if (typeof source === 'string') assign(truncateText(source, bounds.maxString));
    else if (source === null || typeof source !== 'object') assign(source);
    else if (depth >= bounds.maxDepth) assign(ellipsis);
    else if (Array.isArray(source)) {
      const copy: JsonValue[] = [];
      assign(copy);
      for (const [index, item] of source.slice(0, bounds.maxItems).entries())
        pending.push({ source: item, depth: depth + 1, assign: (child) => (copy[index] = child) });
    } else {
      const copy: { [key: string]: JsonValue } = {};
      assign(copy);
      for (const [key, item] of Object.entries(source).slice(0, bounds.maxItems)) {
        const name = truncateText(key, bounds.maxString);
        pending.push({ source: item, depth: depth + 1, assign: (child) => (copy[name] = child) });
      }
    }
  }
  return root.value;
}
