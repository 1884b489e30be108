/**
 * Where `arbiter login` may have the browser sent back when the provider has no device grant: a
 * loopback address of the person's own machine (RFC 8252 §7.3), never anywhere else — the one-time
 * code it carries would otherwise be handed to another host.
 */

/**
 * The IP literals only: RFC 8252 §8.3 recommends them over the name `localhost`, which a resolver
 * or hosts file may send elsewhere and another program may listen on. `arbiter login` sends 127.0.0.1.
 */
const loopbackHosts: readonly string[] = ['127.0.0.1', '[::1]'];
const maxLoopbackRedirectLength = 256;

/**
 * Why `raw` is not a loopback redirect address, or undefined when it is one: `http://` to
 * 127.0.0.1 or [::1] (not localhost), with an explicit port, a path, and no credentials, query or
 * fragment, written in its normal form (so the address checked is the address used).
 */
export function loopbackRedirectProblem(raw: string): string | undefined {
  if (raw.length > maxLoopbackRedirectLength)
    return `must be at most ${maxLoopbackRedirectLength} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:') return 'must be http:// (a loopback address of this machine, RFC 8252)';
  if (url.hostname.replace(/\.$/, '') === 'localhost')
    return 'must name the loopback IP literal 127.0.0.1 or [::1], not the name localhost (RFC 8252 §8.3: a name may resolve elsewhere, or be served by another program)';
  if (!loopbackHosts.includes(url.hostname))
    return `must name a loopback host (${loopbackHosts.join(', ')}), not ${url.hostname}`;
  if (url.port === '') return 'must name its port';
  if (url.username !== '' || url.password !== '') return 'must not hold credentials';
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  if (url.href !== raw) return `must be written in its normal form (${url.href})`;
  return undefined;
}
