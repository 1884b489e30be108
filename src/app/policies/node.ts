/**
 * arbiter/policy/node — the Node-only half of arbiter/policy: loading a governance directory from
 * disk. The engine in arbiter/policy compiles and evaluates files it is handed and runs anywhere.
 */
export type { PolicyBundle } from '../../policy/bundle.js';
export type { PolicyLoadOptions } from '../../policy/load.js';
export type { SourceFile } from '../../policy/yaml-source.js';
export { loadPolicyDirectory, readPolicyDirectory } from './load-dir.js';
