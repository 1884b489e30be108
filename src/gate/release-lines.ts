import { parseYamlFile } from '../policy/yaml-source.js';

/**
 * Where a fact of a Release file is written, for SARIF annotations: `release.metrics.accuracy` is
 * the line of `spec.metrics.accuracy`. Worked out when the release is loaded, from the text that
 * was read, so reporting never reads the file again.
 */

/** The line finder of a release file's text; every fact is line 1 when the text does not parse. */
export function releaseLineFinder(file: string, text: string): (fact: string) => number {
  try {
    const document = parseYamlFile({ path: file, text }).documents[0];
    if (!document) return () => 1;
    return (fact) => {
      const path = fact.startsWith('release.')
        ? ['spec', ...fact.slice('release.'.length).split('.')]
        : ['spec'];
      return document.locator.at(path).line;
    };
  } catch {
    return () => 1;
  }
}
