import { useEffect, useState } from 'preact/hooks';

/** Client-side routes on the History API; the server answers every page path with index.html. */
export function navigate(path: string): void {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const [href, setHref] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setHref(location.pathname + location.search);
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  const url = new URL(href, location.origin);
  return { path: url.pathname, query: url.searchParams };
}
