// The baseline for `arbiter hook`: the same HTTP round trip from a bare node script — read the
// payload on stdin, POST it with the token, print the answer — with nothing else loaded.
import { request } from 'node:http';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const body = Buffer.concat(chunks);
const outgoing = request(
  new URL('v1/hooks/claude-code', `${process.argv[2]}/`),
  {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${process.env.ARBITER_TOKEN}`,
      'content-type': 'application/json',
      'content-length': body.length,
      connection: 'close',
    },
  },
  (incoming) => {
    const answer = [];
    incoming.on('data', (chunk) => answer.push(chunk));
    incoming.on('end', () => {
      process.stdout.write(Buffer.concat(answer));
      process.exitCode = incoming.statusCode === 200 ? 0 : 2;
    });
  },
);
outgoing.on('error', (error) => {
  console.error(error.message);
  process.exitCode = 2;
});
outgoing.end(body);
