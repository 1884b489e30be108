import parse from 'spdx-expression-parse';
// JSON modules: the SPDX lists come in through the module system, not through file reads.
import deprecatedList from 'spdx-license-ids/deprecated.json' with { type: 'json' };
import currentList from 'spdx-license-ids/index.json' with { type: 'json' };
import satisfies from 'spdx-satisfies';

const licenseIds = new Set<string>(currentList);
const deprecatedIds = new Set<string>(deprecatedList);

/** A licence as CycloneDX carries it: a valid SPDX id, a valid SPDX expression, or a plain name. */
export type CycloneLicense =
  | { license: { id: string } }
  | { expression: string }
  | { license: { name: string } };

/** True for a current or deprecated SPDX licence id (exact case). */
export function isSpdxId(id: string): boolean {
  return licenseIds.has(id) || deprecatedIds.has(id);
}

/** True when `text` parses as an SPDX expression made of known ids. */
export function isSpdxExpression(text: string): boolean {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * How a declared licence goes into a BOM. Never an invalid id: anything that is not an SPDX id
 * or expression is kept as a name (and later reported as an unknown licence).
 */
export function cycloneLicense(declared: string): CycloneLicense {
  const text = declared.trim();
  if (isSpdxId(text)) return { license: { id: text } };
  if (isSpdxExpression(text)) return { expression: text };
  return { license: { name: text } };
}

/** The SPDX expression of a BOM licence entry, or undefined when it has only a name. */
export function spdxOf(license: CycloneLicense): string | undefined {
  if ('expression' in license) return license.expression;
  return 'id' in license.license ? license.license.id : undefined;
}

export interface LicensePolicy {
  /** SPDX expressions that are acceptable (a licence passes when it satisfies any). */
  allow?: readonly string[];
  /** SPDX expressions that are never acceptable. */
  deny?: readonly string[];
}

export type LicenseVerdict = 'allowed' | 'denied' | 'unknown' | 'not-allowed';

type Node = parse.Info;

const leafText = (leaf: parse.LicenseInfo) =>
  `${leaf.license}${leaf.plus ? '+' : ''}${leaf.exception ? ` WITH ${leaf.exception}` : ''}`;

/** Whether a single licence is covered by a list of simple licences (ids, `id+`, `id WITH exception`). */
function covered(leaf: parse.LicenseInfo, list: readonly string[]): boolean {
  // spdx-satisfies does not know custom LicenseRef- ids; those match only literally.
  if (leaf.license.startsWith('LicenseRef-')) return list.includes(leafText(leaf));
  try {
    return satisfies(leafText(leaf), list);
  } catch {
    return false;
  }
}

/**
 * Judges a component's licence against the policy. `unknown` when it is not SPDX. Otherwise the
 * expression is `allowed` when some choice it offers (OR) uses only allowed, undenied licences;
 * `denied` when every choice requires a denied licence; `not-allowed` in between.
 */
export function judgeLicense(expression: string | undefined, policy: LicensePolicy): LicenseVerdict {
  let tree: Node;
  try {
    if (expression === undefined) return 'unknown';
    tree = parse(expression);
  } catch {
    return 'unknown';
  }
  const deny = policy.deny ?? [];
  const acceptable = (node: Node): boolean =>
    'license' in node
      ? !covered(node, deny) && (policy.allow === undefined || covered(node, policy.allow))
      : node.conjunction === 'and'
        ? acceptable(node.left) && acceptable(node.right)
        : acceptable(node.left) || acceptable(node.right);
  const forced = (node: Node): boolean =>
    'license' in node
      ? covered(node, deny)
      : node.conjunction === 'and'
        ? forced(node.left) || forced(node.right)
        : forced(node.left) && forced(node.right);
  if (acceptable(tree)) return 'allowed';
  return forced(tree) ? 'denied' : 'not-allowed';
}
