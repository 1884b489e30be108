// Loaded into a benchmarked server with `node --import` (bench/server/profile.js): counts every
// better-sqlite3 statement run (run/get/all/iterate, by SQL text) and every exec/pragma, and on
// SIGUSR2 prints the counts so far as one line `statement-counts JSON`. The server's own copy of
// better-sqlite3 is wrapped: ARBITER_BENCH_BIN names the server's bin/arbiter.js, whose
// node_modules resolve it (an A/B variant may be another checkout).
import { createRequire } from 'node:module';

const require = createRequire(process.env.ARBITER_BENCH_BIN ?? import.meta.url);
const Database = require('better-sqlite3');
const counts = {};
const count = (key) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

const probe = new Database(':memory:');
const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
probe.close();
for (const method of ['run', 'get', 'all', 'iterate']) {
  const original = Statement[method];
  Statement[method] = function (...args) {
    count(this.source.replace(/\s+/g, ' ').trim());
    return original.apply(this, args);
  };
}
for (const method of ['exec', 'pragma']) {
  const original = Database.prototype[method];
  Database.prototype[method] = function (source, ...args) {
    count(`${method}: ${source}`);
    return original.call(this, source, ...args);
  };
}

process.on('SIGUSR2', () => {
  process.stdout.write(`statement-counts ${JSON.stringify(counts)}\n`);
});
