import type { JsonObject } from '../core/json.js';

/**
 * Text for Slack Block Kit from strings Arbiter does not control. Slack reads `&`, `<` and `>` as
 * control characters in text objects — `<!channel>` and `<!here>` ping a whole channel, `<@U123>` a
 * person, `<https://x|Approve>` is a link with any label — and wants them sent as `&amp;`, `&lt;`
 * and `&gt;` when they are meant as text ("Escaping text",
 * https://docs.slack.dev/messaging/formatting-message-text#escaping; only those three, since Slack
 * decodes no other entity). A mrkdwn text object also turns bare URLs into links, link-ifies
 * channel names and parses some mentions unless `verbatim` is true (the text object reference,
 * https://docs.slack.dev/reference/block-kit/composition-objects/text-object), so every text
 * object Arbiter sends is verbatim: only the markup Arbiter writes itself is formatted.
 */

/** The most characters Slack accepts in one text object. */
export const slackTextLimit = 3000;

const entities: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** `text` with Slack's three control characters written as entities. */
export function escapeSlackText(text: string): string {
  return text.replace(/[&<>]/g, (character) => entities[character]!);
}

/**
 * `text` escaped and at most `max` characters long once escaped, cut before a whole character
 * (never inside an entity or a surrogate pair) and then marked with `…`. Requires max ≥ 1.
 */
export function slackText(text: string, max: number): string {
  const escaped = escapeSlackText(text);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const character of text) {
    const written = escapeSlackText(character);
    if (out.length + written.length > max - 1) break;
    out += written;
  }
  return `${out}…`;
}

/** A mrkdwn text object shown as written: no automatic links or mentions (see above). */
export function verbatimMrkdwn(text: string): JsonObject {
  return { type: 'mrkdwn', text, verbatim: true };
}

/**
 * Joins lines with newlines, keeping only the leading lines that fit in `max` characters (a line
 * is never cut here: each was bounded by slackText when it was written).
 */
export function fittingLines(lines: readonly string[], max: number): string {
  let out = '';
  for (const line of lines) {
    const next = out === '' ? line : `${out}\n${line}`;
    if (next.length > max) break;
    out = next;
  }
  return out;
}
