import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { DocSightError } from '../../../errors.js';
import { classifyAddress } from './address-class.js';
import { hostAllowed } from './host-allow-list.js';

/** How an image URL may be fetched: `server.remoteImages`. */
export interface RemoteImagePolicy {
  /** Host names (exact or `*.suffix`) whose images may be fetched. */
  allow: readonly string[];
  /** Largest body, bytes. */
  maxBytes: number;
  /** Longest the whole fetch (redirects included) may take, ms. */
  timeoutMs: number;
}

export interface FetchRemoteImageOptions {
  /** The request's own cancellation (the client went away). */
  signal?: AbortSignal;
  /** The request field named in errors (`messages.0.content.1.image_url.url`). */
  param?: string;
  /**
   * TESTS ONLY: replaces the rule that only public addresses are fetched from, so that a test can serve images
   * from a local server. Never set by the server: production always uses the public-address rule.
   */
  testOnlyAddressPolicy?: (address: string) => boolean;
}

/** Redirects followed by hand, each one checked like the first URL. */
const MAX_REDIRECTS = 3;

/**
 * Fetches an image named by an http(s) URL for a chat request, refusing anything that would let a client use
 * the server to reach where it cannot: hosts not on the allow-list, names that resolve to a loopback, private,
 * link-local, unique-local, multicast or unspecified address (IPv4-mapped forms included), and redirects to
 * any of those. The connection goes to the very address that was checked (the agent's lookup is pinned to it,
 * so a second DNS answer cannot swap it: DNS rebinding), redirects are followed by hand (at most 3, each
 * re-checked), the body is counted while it streams and cut at `maxBytes`, and the whole fetch has a time
 * limit. Every refusal is a 400 saying why. The bytes' type is checked afterwards by intake, as for data URLs.
 *
 * @example
 *   const bytes = await fetchRemoteImage('https://images.example.com/scan.png', config.server.remoteImages);
 */
export async function fetchRemoteImage(
  url: string,
  policy: RemoteImagePolicy,
  options: FetchRemoteImageOptions = {},
): Promise<Uint8Array> {
  const param = options.param;
  const refuse = (why: string, cause?: unknown) =>
    new DocSightError('BAD_REQUEST', `Image ${shortUrl(url)} was not fetched: ${why}`, { param, cause });
  const addressAllowed =
    options.testOnlyAddressPolicy ?? ((address) => classifyAddress(address) === 'public');
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;

  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw refuse('it is not a valid URL.');
  }
  try {
    for (let hop = 0; ; hop++) {
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        throw refuse(`only http and https URLs are fetched (this one is ${target.protocol}).`);
      }
      if (target.username || target.password) throw refuse('URLs with credentials are not fetched.');
      const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
      if (!hostAllowed(host, policy.allow)) {
        throw refuse(
          `host ${host} is not allowed (server.remoteImages.allow)${hop > 0 ? ' (reached by a redirect)' : ''}.`,
        );
      }
      const address = await resolveChecked(host, addressAllowed, refuse);
      const response = await requestPinned(target, address, signal);
      if (response.statusCode >= 300 && response.statusCode < 400) {
        await response.body.dump().catch(() => undefined);
        const location = response.headers.location;
        if (typeof location !== 'string') {
          throw refuse(`the server answered ${response.statusCode} without a Location.`);
        }
        if (hop >= MAX_REDIRECTS) throw refuse(`more than ${MAX_REDIRECTS} redirects.`);
        target = new URL(location, target);
        continue;
      }
      if (response.statusCode !== 200) {
        await response.body.dump().catch(() => undefined);
        throw refuse(`the server answered HTTP ${response.statusCode}.`);
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > policy.maxBytes) {
        response.body.destroy();
        throw refuse(tooLarge(policy.maxBytes));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > policy.maxBytes) {
          response.body.destroy();
          throw refuse(tooLarge(policy.maxBytes));
        }
        chunks.push(chunk);
      }
      if (size === 0) throw refuse('the server sent an empty body.');
      return Buffer.concat(chunks, size);
    }
  } catch (err) {
    if (err instanceof DocSightError) throw err;
    if (timeout.aborted) throw refuse(`no complete answer within ${policy.timeoutMs / 1000} s.`, err);
    if (options.signal?.aborted) throw err;
    throw refuse(`the connection failed (${(err as Error).message}).`, err);
  }
}

const tooLarge = (maxBytes: number) => `it is larger than ${maxBytes} bytes (server.remoteImages.maxBytes).`;

/** The URL as named in messages: scheme, host and path, no query (it may hold tokens). */
function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    const text = `${u.protocol}//${u.host}${u.pathname}`;
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The address to connect to: the host itself when it is an IP literal, else what DNS answers. Every answer must
 * pass: a name with one private address among public ones is refused (which one a client would get is not
 * ours to guess).
 */
async function resolveChecked(
  host: string,
  allowed: (address: string) => boolean,
  refuse: (why: string, cause?: unknown) => DocSightError,
): Promise<{ address: string; family: 4 | 6 }> {
  let answers: { address: string; family: number }[];
  if (isIP(host)) answers = [{ address: host, family: isIP(host) }];
  else {
    try {
      answers = await lookup(host, { all: true, verbatim: true });
    } catch (err) {
      throw refuse(`host ${host} does not resolve.`, err);
    }
  }
  for (const { address } of answers) {
    if (!allowed(address)) {
      throw refuse(
        `host ${host} resolves to ${address}, a ${classifyAddress(address)} address; only public addresses are fetched.`,
      );
    }
  }
  const first = answers[0];
  if (!first) throw refuse(`host ${host} does not resolve.`);
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * One GET to `target` over a connection to `pinned`, whatever the resolver would say now: the agent's lookup
 * answers with the checked address only (TLS still verifies the certificate against the host name). No
 * redirect is followed here. Exported for its test.
 */
export async function requestPinned(
  target: URL,
  pinned: { address: string; family: 4 | 6 },
  signal: AbortSignal,
) {
  const agent = new Agent({
    connect: {
      lookup: (_hostname, options, callback) => {
        if ((options as { all?: boolean }).all) callback(null, [pinned]);
        else callback(null, pinned.address, pinned.family);
      },
    },
    // One request per agent: nothing is pooled across hops or requests.
    pipelining: 0,
  });
  try {
    const response = await request(target, {
      method: 'GET',
      dispatcher: agent,
      signal,
      headers: { accept: 'image/*', 'user-agent': 'DocSight' },
    });
    // The agent closes once its body has been read or destroyed.
    response.body.once('close', () => void agent.close().catch(() => undefined));
    return response;
  } catch (err) {
    void agent.destroy().catch(() => undefined);
    throw err;
  }
}
