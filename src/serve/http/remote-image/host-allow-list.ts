/**
 * Whether a URL's host is on the allow-list of `server.remoteImages.allow`: an entry is an exact host name
 * (`images.example.com`, or an IP literal) or `*.suffix`, which matches any name below the suffix at any depth
 * but not the suffix itself (`*.example.com` takes `a.example.com` and `a.b.example.com`, not `example.com`).
 * Names compare case-insensitively and without a trailing dot; IPv6 literals without their brackets.
 *
 * @example
 *   hostAllowed('CDN.Example.com.', ['*.example.com']); // true
 *   hostAllowed('example.com.evil.net', ['*.example.com']); // false
 */
export function hostAllowed(host: string, allow: readonly string[]): boolean {
  const name = normalise(host);
  if (name === '') return false;
  return allow.some((entry) => {
    const pattern = normalise(entry);
    if (pattern.startsWith('*.')) {
      const suffix = pattern.slice(1); // ".example.com"
      return suffix.length > 1 && name.endsWith(suffix) && name.length > suffix.length;
    }
    return pattern !== '' && name === pattern;
  });
}

const normalise = (host: string): string =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
