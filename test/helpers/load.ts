import { randomUUID } from 'node:crypto';

export interface LoadResult {
  /** Decision ids the server acknowledged (a 2xx with a body), by idempotency key. */
  acknowledged: Map<string, string>;
  failures: number;
}

/**
 * Posts `count` decisions with `concurrency` in flight, spread round-robin over `urls`, each with
 * its own idempotency key. Connection failures (a killed replica) are counted, not thrown.
 */
export async function postDecisions(options: {
  urls: () => string[];
  token: string;
  count: number;
  concurrency: number;
  body?: (i: number) => Record<string, unknown>;
  stop?: () => boolean;
}): Promise<LoadResult> {
  const acknowledged = new Map<string, string>();
  let failures = 0;
  let next = 0;
  const worker = async () => {
    while (next < options.count && !options.stop?.()) {
      const i = next++;
      const urls = options.urls();
      const url = urls[i % urls.length]!;
      const key = randomUUID();
      const body = options.body?.(i) ?? {
        action: 'deploy',
        resource: { type: 'service', id: `svc-${i % 50}`, environment: 'staging' },
        rationale: 'load test deploy',
        confidence: 0.99,
      };
      try {
        const response = await fetch(`${url}/v1/decisions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...body, idempotencyKey: key }),
          signal: AbortSignal.timeout(15_000),
        });
        if (response.ok) acknowledged.set(key, ((await response.json()) as { id: string }).id);
        else failures++;
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { acknowledged, failures };
}
