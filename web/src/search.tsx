import { useState } from 'preact/hooks';
import { readEvents, request, sendJson, type Citation } from './api.js';
import { AuthImage } from './auth-image.js';
import { t } from './i18n.js';
import { Markdown } from './markdown-view.js';
import { navigate } from './router.js';

interface Hit {
  document_id: number;
  document_name: string;
  page: number;
  snippet: string;
  boxes: number[][];
}

interface Passage {
  number: number;
  document_id: number;
  document_name: string;
  pages: number[];
  text: string;
}

/** The viewer's address for a page with boxes to highlight (`hl=x1,y1,…;…`). */
export const viewerPath = (documentId: number, page: number, boxes: number[][] = []) =>
  `/viewer/${documentId}/${page}${boxes.length ? `?hl=${boxes.map((b) => b.map((n) => Math.round(n)).join(',')).join(';')}` : ''}`;

/** A search snippet with its [bracketed] matches as <mark> elements (text nodes only, no HTML parsing). */
function Snippet({ text }: { text: string }) {
  const parts = text.split(/(\[[^\]]*\])/);
  return (
    <p class="snippet">
      {parts.map((part, i) =>
        part.startsWith('[') && part.endsWith(']') ? <mark key={i}>{part.slice(1, -1)}</mark> : part,
      )}
    </p>
  );
}

export function SearchScreen({ onError }: { onError: (e: unknown) => void }) {
  const [query, setQuery] = useState('');
  const [collection, setCollection] = useState('');
  const [type, setType] = useState('');
  const [ask, setAsk] = useState(false);
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [note, setNote] = useState<string>();
  const [answer, setAnswer] = useState('');
  const [passages, setPassages] = useState<Passage[]>([]);
  const [citations, setCitations] = useState<Citation[]>([]);
  const [reason, setReason] = useState<string>();
  const [busy, setBusy] = useState<AbortController | null>(null);

  async function run(e: Event) {
    e.preventDefault();
    if (!query.trim()) return;
    const filters = { ...(collection ? { collection } : {}) };
    setNote(undefined);
    if (!ask) {
      try {
        const r = await sendJson<{ results: Hit[]; note?: string }>('POST', '/api/search', {
          query,
          ...filters,
          ...(type ? { type } : {}),
        });
        setHits(r.results);
        setNote(r.note);
      } catch (err) {
        onError(err);
      }
      return;
    }
    const controller = new AbortController();
    setBusy(controller);
    setHits(null);
    setAnswer('');
    setPassages([]);
    setCitations([]);
    setReason(undefined);
    try {
      const response = await request('/api/ask', {
        method: 'POST',
        body: JSON.stringify({ query, ...filters }),
        signal: controller.signal,
      });
      await readEvents(response, (frame) => {
        if (frame.type === 'passages') setPassages(frame.passages as Passage[]);
        else if (frame.type === 'text') setAnswer((a) => a + String(frame.text));
        else if (frame.type === 'done') {
          setCitations((frame.citations as Citation[]) ?? []);
          if (frame.answer === null) setReason(String(frame.reason ?? ''));
          if (typeof frame.answer === 'string') setAnswer(frame.answer);
        }
      });
    } catch (err) {
      if ((err as Error).name !== 'AbortError') onError(err);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div class="search">
      <form class="toolbar" onSubmit={(e) => void run(e)} role="search">
        <input
          type="search"
          class="grow"
          value={query}
          placeholder={t('searchPlaceholder')}
          aria-label={t('searchPlaceholder')}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        />
        <input
          value={collection}
          placeholder={t('collection')}
          aria-label={t('collection')}
          onInput={(e) => setCollection((e.target as HTMLInputElement).value)}
        />
        <select
          aria-label={t('type')}
          value={type}
          onChange={(e) => setType((e.target as HTMLSelectElement).value)}
        >
          <option value="">{t('anyType')}</option>
          <option value="application/pdf">PDF</option>
          <option value="image/">image</option>
        </select>
        <label class="check">
          <input
            type="checkbox"
            checked={ask}
            onChange={(e) => setAsk((e.target as HTMLInputElement).checked)}
          />
          {t('askLibrary')}
        </label>
        {busy ? (
          <button type="button" class="stop" onClick={() => busy.abort()}>
            {t('stop')}
          </button>
        ) : (
          <button type="submit" class="primary">
            {ask ? t('askLibrary') : t('search')}
          </button>
        )}
      </form>
      {note ? <p class="muted">{note}</p> : null}
      {hits ? (
        hits.length === 0 ? (
          <p>{t('noResults')}</p>
        ) : (
          <ul class="hits">
            {hits.map((hit) => (
              <li key={`${hit.document_id}-${hit.page}`}>
                <a
                  class="hit"
                  href={viewerPath(hit.document_id, hit.page, hit.boxes)}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(viewerPath(hit.document_id, hit.page, hit.boxes));
                  }}
                >
                  <AuthImage
                    path={`/api/documents/${hit.document_id}/pages/${hit.page}/thumbnail`}
                    alt=""
                    class="thumb"
                  />
                  <span>
                    <strong>{hit.document_name}</strong> · {t('page')} {hit.page}
                    <Snippet text={hit.snippet} />
                  </span>
                </a>
              </li>
            ))}
          </ul>
        )
      ) : null}
      {ask && (answer || passages.length || reason !== undefined) ? (
        <div class="ask">
          {answer ? (
            <Markdown
              text={answer}
              onCite={(n) => {
                // The cited page with its boxes; a number that cites nothing opens its passage's first page.
                const cited = citations.find((c) => c.passage === n);
                const passage = passages.find((p) => p.number === n);
                if (cited) navigate(viewerPath(cited.document_id, cited.page, cited.boxes));
                else if (passage) navigate(viewerPath(passage.document_id, passage.pages[0] ?? 1));
              }}
            />
          ) : null}
          {reason !== undefined ? (
            <p class="notice">
              {t('noModel')}
              {reason}
            </p>
          ) : null}
          {citations.length ? (
            <ol class="citations" aria-label={t('citations')}>
              {citations.map((c, i) => (
                <li key={i}>
                  <a
                    class="citation"
                    href={viewerPath(c.document_id, c.page, c.boxes)}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(viewerPath(c.document_id, c.page, c.boxes));
                    }}
                  >
                    [{c.passage}] {c.document_name} · {t('page')} {c.page}
                  </a>{' '}
                  <q>{c.quote}</q>
                </li>
              ))}
            </ol>
          ) : null}
          {passages.length && (reason !== undefined || !answer) ? (
            <details open={reason !== undefined}>
              <summary>{t('passages')}</summary>
              <ol>
                {passages.map((p) => (
                  <li key={p.number}>
                    <a
                      href={viewerPath(p.document_id, p.pages[0] ?? 1)}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(viewerPath(p.document_id, p.pages[0] ?? 1));
                      }}
                    >
                      [{p.number}] {p.document_name}
                    </a>
                    <p class="passage">{p.text}</p>
                  </li>
                ))}
              </ol>
            </details>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
