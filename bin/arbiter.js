#!/usr/bin/env node
// The `arbiter` command. The TypeScript sources are compiled to dist/ by `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'arbiter: dist/ is missing; run `npm run build` (or `npm test`, which builds) first\n',
  );
  process.exit(2);
}
// `arbiter … | head` closes the pipe early: stop quietly, as other command-line tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
// `serve` asks V8 for a larger young generation, which node sets only at start-up: it runs in a
// second process with the flag (src/cli/young-generation.ts). Other commands never load this.
const serving =
  process.argv[2] === 'serve'
    ? await import(new URL('../dist/cli/young-generation.js', import.meta.url).href)
    : undefined;
const flags = serving?.serveNodeFlags(process.argv.slice(3), process.env, process.execArgv);
if (flags) process.exitCode = await serving.relaunch(flags);
else {
  serving?.followLauncher();
  const { main } = await import(entry.href);
  process.exitCode = await main(process.argv);
}
