// The load every server benchmark sends: POST /v1/decisions with one allowed staging deploy.
import autocannon from 'autocannon';

/** The decision every load posts: an allowed staging deploy. */
export const decisionBody = {
  action: 'deploy',
  resource: { type: 'service', id: 'payments', environment: 'staging' },
  change: { linesChanged: 40 },
  rationale: 'benchmark deploy to staging',
  confidence: 0.97,
};

/**
 * autocannon posting `body` to `${url}/v1/decisions`: for `duration` seconds or `amount` requests,
 * as fast as it goes or at `rate` a second overall. The result also holds `lastResponseAt`
 * (`performance.now()` of the last response): with `amount`, autocannon ends the run at its next
 * one-second tick, so its `duration` overstates a run by up to a second — rates of `amount` runs
 * must be taken to the last response.
 */
export function postDecisions(
  url,
  token,
  { body = decisionBody, connections = 64, duration, amount, rate } = {},
) {
  return new Promise((resolve, reject) => {
    let lastResponseAt = 0;
    const instance = autocannon(
      {
        url: `${url}/v1/decisions`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        connections,
        ...(duration !== undefined ? { duration } : {}),
        ...(amount !== undefined ? { amount } : {}),
        ...(rate ? { overallRate: rate } : {}),
      },
      (error, result) => (error ? reject(error) : resolve({ ...result, lastResponseAt })),
    );
    instance.on('response', () => {
      lastResponseAt = performance.now();
    });
  });
}
