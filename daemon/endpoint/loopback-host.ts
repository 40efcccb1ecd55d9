// Which Host and Origin headers name this machine's loopback. The whole value must match: a
// prefix test let `[::1]evil.com` and `[::1].evil.com` through (issue 11, item 13). Pure.

/** 127.0.0.1, localhost or [::1], then an optional port of digits, and nothing else. */
const LOOPBACK_AUTHORITY = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;

/** A Host header (RFC 9110 section 7.2: host [":" port]) that names loopback. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_AUTHORITY.test(host);
}

/** An Origin header (RFC 6454 section 7: scheme "://" host [":" port]) of a loopback page.
 *  "null" (a file or sandboxed page) is not one. */
export function isLoopbackOrigin(origin: string): boolean {
  const m = /^https?:\/\/(.*)$/i.exec(origin);
  return m !== null && isLoopbackHost(m[1]!);
}
