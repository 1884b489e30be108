import type { JsonObject } from './json.js';

/** SARIF 2.1.0 (the format GitHub code scanning reads), built from a flat list of results. */
export interface SarifRule {
  id: string;
  name?: string;
  description: string;
  helpUri?: string;
}

export interface SarifResult {
  ruleId: string;
  level: 'error' | 'warning' | 'note' | 'none';
  message: string;
  /** A path relative to the repository root, with forward slashes. */
  file: string;
  startLine?: number;
  startColumn?: number;
  byteOffset?: number;
  /** Stable identity across runs, for deduplication in code scanning. */
  fingerprint?: string;
  properties?: JsonObject;
}

/** A SARIF log of one run of `tool` (its version is left out when not given: SARIF makes it optional). */
export function sarifLog(
  tool: { name: string; version?: string; informationUri?: string },
  rules: readonly SarifRule[],
  results: readonly SarifResult[],
) {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0' as const,
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            ...(tool.version !== undefined ? { version: tool.version } : {}),
            ...(tool.informationUri ? { informationUri: tool.informationUri } : {}),
            rules: rules.map((rule) => ({
              id: rule.id,
              ...(rule.name ? { name: rule.name } : {}),
              shortDescription: { text: rule.description },
              ...(rule.helpUri ? { helpUri: rule.helpUri } : {}),
            })),
          },
        },
        results: results.map((result) => ({
          ruleId: result.ruleId,
          ruleIndex: Math.max(
            0,
            rules.findIndex((rule) => rule.id === result.ruleId),
          ),
          level: result.level,
          message: { text: result.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: result.file.replace(/\\/g, '/').replace(/^\.\//, '') },
                // Code scanning wants a line; binary files get line 1 and the byte offset.
                region: {
                  startLine: result.startLine ?? 1,
                  ...(result.startColumn ? { startColumn: result.startColumn } : {}),
                  ...(result.byteOffset !== undefined ? { byteOffset: result.byteOffset } : {}),
                },
              },
            },
          ],
          ...(result.fingerprint
            ? { partialFingerprints: { primaryLocationLineHash: result.fingerprint } }
            : {}),
          ...(result.properties ? { properties: result.properties } : {}),
        })),
      },
    ],
  };
}
