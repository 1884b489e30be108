// Open-loop load: requests start on a fixed schedule (rate per second, evenly spaced) whether or not
// earlier ones have answered, and each latency counts from the moment its request was due. autocannon's
// `overallRate` instead lets each connection send back to back until its share of the second is used,
// so "1,000/s" arrives as a burst at the top of every second; this is the arrival pattern the p99
// targets mean (agents acting independently), and it does not hide a stalled server (coordinated
// omission): a request that could not even be sent is charged from when it was due.
import http from 'node:http';

/** Percentile of sorted values (nearest rank). */
function percentile(sorted, p) {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

/**
 * POSTs `body` to `url` at `rate` requests/s for `seconds`, on at most `connections` kept-alive sockets.
 * Resolves to { offered, ok, errors, p50, p99, max } with latencies in ms.
 */
export async function openLoop({ url, token, body, rate, seconds, connections = 128, expectStatus = 201 }) {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const headers = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const send = () =>
    new Promise((resolve) => {
      const request = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode));
        },
      );
      request.on('error', () => resolve(0));
      request.end(payload);
    });
  const latencies = [];
  let errors = 0;
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const inFlight = [];
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const dueAt = started + (sent * 1000) / rate;
      inFlight.push(
        send().then((status) => {
          if (status === expectStatus) latencies.push(performance.now() - dueAt);
          else errors++;
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    offered: rate,
    ok: latencies.length,
    errors,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? Number.NaN,
  };
}
