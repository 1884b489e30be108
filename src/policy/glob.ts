const cache = new Map<string, RegExp>();

/** Matches a name against a pattern where `*` stands for any run of characters (`mcp.tool.*`). */
export function globMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  let regex = cache.get(pattern);
  if (!regex) {
    const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
    regex = new RegExp(`^${escaped.join('.*')}$`, 's');
    cache.set(pattern, regex);
  }
  return regex.test(name);
}

/** True when no patterns are given (no filter) or one of them matches. */
export function anyGlobMatches(patterns: readonly string[] | undefined, name: string | undefined): boolean {
  if (patterns === undefined) return true;
  if (name === undefined) return false;
  // A loop, not `some` with a closure: every decision runs this for every policy's filters.
  for (let i = 0; i < patterns.length; i++) if (globMatches(patterns[i]!, name)) return true;
  return false;
}
