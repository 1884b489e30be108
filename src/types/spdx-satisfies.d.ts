declare module 'spdx-satisfies' {
  /** True when `expression` can be met using only licences from `approved` (ids, `id+`, or `id WITH exception`). */
  export default function satisfies(expression: string, approved: readonly string[]): boolean;
}
