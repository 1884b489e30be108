import { describe, expect, it } from 'vitest';
import { loopbackRedirectProblem } from '../../src/identity/loopback-redirect.js';

/** The address `arbiter login` has the browser sent back to (RFC 8252 §7.3, §8.3). */
describe('loopbackRedirectProblem', () => {
  it('takes http:// to the IPv4 or IPv6 loopback literal, with a port and a path', () => {
    expect(loopbackRedirectProblem('http://127.0.0.1:49152/callback')).toBeUndefined();
    expect(loopbackRedirectProblem('http://[::1]:8080/callback')).toBeUndefined();
  });

  it('refuses the name localhost (RFC 8252 §8.3: it may resolve elsewhere), saying to use the literal', () => {
    for (const raw of [
      'http://localhost:8080/callback',
      'http://LOCALHOST:8080/callback',
      'http://localhost.:8080/callback',
    ])
      expect(loopbackRedirectProblem(raw), raw).toBe(
        'must name the loopback IP literal 127.0.0.1 or [::1], not the name localhost (RFC 8252 §8.3: a name may resolve elsewhere, or be served by another program)',
      );
  });

  it('refuses other hosts, naming the loopback literals', () => {
    expect(loopbackRedirectProblem('http://evil.example:8080/callback')).toBe(
      'must name a loopback host (127.0.0.1, [::1]), not evil.example',
    );
    expect(loopbackRedirectProblem('http://localhost.evil.example:8080/callback')).toBe(
      'must name a loopback host (127.0.0.1, [::1]), not localhost.evil.example',
    );
  });
});
