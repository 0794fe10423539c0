import { useEffect, useState } from 'preact/hooks';
import { objectUrl } from './api.js';

/** An <img> of an API path, fetched with the API key (a plain src cannot carry the Authorization header). */
export function AuthImage({
  path,
  alt,
  ...rest
}: {
  path: string;
  alt: string;
  class?: string;
  onLoad?: (e: Event) => void;
}) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    const abort = new AbortController();
    let url: string | undefined;
    objectUrl(path, abort.signal)
      .then((u) => setSrc((url = u)))
      .catch(() => undefined);
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [path]);
  return src ? <img src={src} alt={alt} {...rest} /> : <span class="img-placeholder" aria-label={alt} />;
}
