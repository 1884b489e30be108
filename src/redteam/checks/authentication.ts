import { randomBytes } from 'node:crypto';
import { type Check, firstFailure, pass } from '../check.js';
import { arbiterError, statusIn } from '../expect.js';

/** Protected routes, one per area, probed without valid credentials. Bodies are deliberately empty. */
const protectedRoutes = [
  { method: 'GET', path: '/v1/me' },
  { method: 'GET', path: '/v1/decisions' },
  { method: 'POST', path: '/v1/decisions', json: {} },
  { method: 'POST', path: '/v1/decisions/explain', json: {} },
  { method: 'GET', path: '/v1/systems' },
  { method: 'GET', path: '/v1/ledger/checkpoint' },
  { method: 'GET', path: '/v1/gate-runs' },
  { method: 'POST', path: '/v1/policies/reload' },
] as const;

const randomToken = () => `arb_${randomBytes(32).toString('base64url')}`;

export const authenticationChecks: Check[] = [
  {
    id: 'AUTH-01',
    area: 'authentication',
    title: 'Every /v1 route refuses a request without a token (401)',
    async run({ http }) {
      const problems: (string | undefined)[] = [];
      for (const route of protectedRoutes) {
        const response = await http.send({ ...route });
        problems.push(
          statusIn(response, [401], `${route.method} ${route.path} without a token`) ??
            arbiterError(response, `${route.method} ${route.path}`),
        );
      }
      return firstFailure(problems) ?? pass(`${protectedRoutes.length} routes answered 401`);
    },
  },
  {
    id: 'AUTH-02',
    area: 'authentication',
    title: 'An unknown, well-formed token is refused (401)',
    async run({ http }) {
      const problems: (string | undefined)[] = [];
      for (const route of protectedRoutes.slice(0, 4)) {
        const response = await http.send({ ...route, as: `Bearer ${randomToken()}` });
        problems.push(statusIn(response, [401], `${route.method} ${route.path} with an unknown token`));
      }
      return firstFailure(problems) ?? pass();
    },
  },
  {
    id: 'AUTH-03',
    area: 'authentication',
    title: 'Malformed Authorization headers and altered tokens are refused (401)',
    async run({ http }) {
      const agent = http.tokens.agent ?? '';
      const flipped = `${agent.slice(0, -1)}${agent.endsWith('A') ? 'B' : 'A'}`;
      const headers = [
        `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        'Bearer',
        'Bearer ',
        `Bearer ${flipped}`,
        `Bearer ${agent.slice(0, -4)}`,
        `Bearer ${agent} ${agent}`,
        `Token ${agent}`,
        `Bearer ${'a'.repeat(4096)}`,
      ];
      const problems: (string | undefined)[] = [];
      for (const header of headers) {
        const response = await http.send({ method: 'GET', path: '/v1/me', as: header });
        problems.push(statusIn(response, [400, 401], `Authorization: ${header.slice(0, 24)}…`));
      }
      return firstFailure(problems) ?? pass(`${headers.length} variants refused`);
    },
  },
  {
    id: 'AUTH-04',
    area: 'authentication',
    title: 'A token is accepted only in the Authorization header, never from the URL or a cookie',
    async run({ http }) {
      const agent = http.tokens.agent ?? '';
      const attempts: { method: string; path: string; headers?: Record<string, string> }[] = [
        { method: 'GET', path: `/v1/me?token=${agent}` },
        { method: 'GET', path: `/v1/me?access_token=${agent}` },
        { method: 'GET', path: '/v1/me', headers: { cookie: `token=${agent}; arbiter_token=${agent}` } },
        { method: 'GET', path: '/v1/me', headers: { 'x-api-key': agent, 'x-arbiter-token': agent } },
      ];
      const problems: (string | undefined)[] = [];
      for (const attempt of attempts) {
        const response = await http.send(attempt);
        problems.push(statusIn(response, [401], `the agent token outside the Authorization header`));
      }
      return firstFailure(problems) ?? pass();
    },
  },
];
