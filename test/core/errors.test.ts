import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArbiterError, errorRegistry } from '../../src/core/errors.js';

describe('error registry', () => {
  const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map(
    [...docs.matchAll(/^\| `(ARB_ERR_[A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((match) => [
      match[1],
      Number(match[2]),
    ]),
  );

  it('documents every code with its status in docs/errors.md', () => {
    for (const [code, { status }] of Object.entries(errorRegistry)) {
      expect(documented.get(code), `${code} in docs/errors.md`).toBe(status);
    }
  });

  it('documents no code that does not exist', () => {
    for (const code of documented.keys()) expect(Object.keys(errorRegistry)).toContain(code);
  });

  it('follows the ARB_ERR_<AREA>_<PROBLEM> naming', () => {
    for (const code of Object.keys(errorRegistry)) expect(code).toMatch(/^ARB_ERR_[A-Z]+(_[A-Z0-9]+)*$/);
  });

  it('renders the API error body', () => {
    const error = new ArbiterError('ARB_ERR_INPUT_INVALID', 'bad', { details: { field: 'x' } });
    expect(error.status).toBe(400);
    expect(error.toResponseBody()).toEqual({
      error: { code: 'ARB_ERR_INPUT_INVALID', message: 'bad', details: { field: 'x' } },
    });
  });
});
