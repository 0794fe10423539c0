import { DocSightError } from '../../errors.js';

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)?(?:;[a-z0-9=.+-]+)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The bytes of an inline image (`data:image/png;base64,…`), or a 400 naming `param` that says how to send one.
 * Other URLs are refused here (http(s) ones are fetched elsewhere, for allowed hosts only). The bytes are not checked here:
 * intake sniffs their type and checks their size when they are opened.
 *
 * @example
 *   imageBytes('data:image/png;base64,iVBORw0KGgo…', 'messages.0.content.1.image_url.url');
 */
export function imageBytes(url: string, param: string): Uint8Array {
  const header = DATA_URL.exec(url);
  if (!header) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'this URL';
    throw new DocSightError(
      'BAD_REQUEST',
      `Image URLs with ${scheme} are not fetched by this server; send the image inline as a data URL ` +
        '(data:image/png;base64,…)' +
        (/^https?:$/i.test(scheme)
          ? ', or ask its operator to allow the host (server.remoteImages.allow).'
          : '.'),
      { param },
    );
  }
  const payload = url.slice(header[0].length).replace(/\s+/g, '');
  if (payload.length === 0 || payload.length % 4 !== 0 || !BASE64.test(payload)) {
    throw new DocSightError('BAD_REQUEST', 'The image data URL is not valid base64.', { param });
  }
  return Buffer.from(payload, 'base64');
}
