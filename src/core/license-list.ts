import parse from 'spdx-expression-parse';

/**
 * The rule for allow and deny lists of licences, shared by the policy compiler (which checks a
 * GatePolicy's lists at load) and the supply chain (which judges licences against them): every
 * entry is one SPDX licence, not an AND/OR expression.
 */

/** Problems with a licence list: entries must be single SPDX licences, not AND/OR expressions. */
export function licenseListProblems(list: readonly string[]): string[] {
  return list.flatMap((entry) => {
    try {
      const node = parse(entry);
      return 'license' in node
        ? []
        : [`${entry}: use single licences in allow and deny lists, not AND/OR expressions`];
    } catch {
      return [`${entry}: not an SPDX licence id`];
    }
  });
}
