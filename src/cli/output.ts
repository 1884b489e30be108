/** Where a command writes; tests and the binary share the same code. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

// Kept apart from io.ts (which loads the YAML parser) so the fast paths — `--version`, `hook` — load nothing else.
export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};
