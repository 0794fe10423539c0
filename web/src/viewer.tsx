import { useEffect, useState } from 'preact/hooks';
import { download, getJson, type DocumentJson } from './api.js';
import { AuthImage } from './auth-image.js';
import { t } from './i18n.js';
import { navigate } from './router.js';

interface Line {
  text: string;
  box: number[];
  confidence: number | null;
}
interface Page {
  page: number;
  width: number;
  height: number;
  has_image: boolean;
  lines: Line[];
}

const points = (box: number[]) =>
  `${box[0]},${box[1]} ${box[2]},${box[3]} ${box[4]},${box[5]} ${box[6]},${box[7]}`;

/** Boxes from the address (`hl=x1,y1,…;…`), as a search hit or a citation passes them. */
export const parseHighlights = (hl: string | null): number[][] =>
  (hl ?? '')
    .split(';')
    .map((b) => b.split(',').map(Number))
    .filter((b) => b.length === 8 && b.every(Number.isFinite));

export function ViewerScreen({
  documentId,
  pageNumber,
  highlights,
  onError,
}: {
  documentId: number;
  pageNumber: number;
  highlights: number[][];
  onError: (e: unknown) => void;
}) {
  const [doc, setDoc] = useState<DocumentJson>();
  const [page, setPage] = useState<Page>();
  const [showBoxes, setShowBoxes] = useState(true);
  const [zoom, setZoom] = useState(1);
  const [hover, setHover] = useState<number | null>(null);

  useEffect(() => {
    getJson<DocumentJson>(`/api/documents/${documentId}`).then(setDoc, onError);
  }, [documentId]);
  useEffect(() => {
    setPage(undefined);
    getJson<Page>(`/api/documents/${documentId}/pages/${pageNumber}`).then(setPage, onError);
  }, [documentId, pageNumber]);

  const go = (n: number) => navigate(`/viewer/${documentId}/${n}`);
  const count = doc?.page_count ?? pageNumber;
  const base = doc?.name.replace(/\.[^.]+$/, '') ?? `document-${documentId}`;

  return (
    <div class="viewer">
      <div class="toolbar">
        <strong class="grow">{doc?.name}</strong>
        <button
          type="button"
          disabled={pageNumber <= 1}
          onClick={() => go(pageNumber - 1)}
          aria-label={t('prev')}
        >
          ‹
        </button>
        <span>
          {pageNumber} / {count}
        </span>
        <button
          type="button"
          disabled={pageNumber >= count}
          onClick={() => go(pageNumber + 1)}
          aria-label={t('next')}
        >
          ›
        </button>
        <button
          type="button"
          onClick={() => setZoom((z) => Math.max(0.25, z / 1.25))}
          aria-label={t('zoomOut')}
        >
          −
        </button>
        <button type="button" onClick={() => setZoom((z) => Math.min(4, z * 1.25))} aria-label={t('zoomIn')}>
          +
        </button>
        <label class="check">
          <input
            type="checkbox"
            checked={showBoxes}
            onChange={(e) => setShowBoxes((e.target as HTMLInputElement).checked)}
          />
          {t('boxes')}
        </label>
        <button
          type="button"
          onClick={() =>
            void download(`/api/documents/${documentId}/export?format=markdown`, `${base}.md`).catch(onError)
          }
        >
          {t('exportMd')}
        </button>
        <button
          type="button"
          onClick={() =>
            void download(`/api/documents/${documentId}/export?format=json`, `${base}.json`).catch(onError)
          }
        >
          {t('exportJson')}
        </button>
      </div>
      {page ? (
        <div class="viewer-body">
          <div class="page-frame">
            <div
              class="page"
              style={{ width: `${page.width * zoom}px`, maxWidth: zoom === 1 ? '100%' : 'none' }}
            >
              {page.has_image ? (
                <AuthImage
                  path={`/api/documents/${documentId}/pages/${pageNumber}/image`}
                  alt={`${t('page')} ${pageNumber}`}
                />
              ) : null}
              <svg
                class="overlay"
                viewBox={`0 0 ${page.width} ${page.height}`}
                preserveAspectRatio="none"
                aria-hidden="true"
              >
                {showBoxes
                  ? page.lines.map((line, i) => (
                      <polygon
                        key={i}
                        class={`line-box${hover === i ? ' hover' : ''}`}
                        points={points(line.box)}
                        onMouseEnter={() => setHover(i)}
                        onMouseLeave={() => setHover(null)}
                      />
                    ))
                  : null}
                {highlights.map((box, i) => (
                  <polygon key={`h${i}`} class="highlight" data-box={box.join(',')} points={points(box)} />
                ))}
              </svg>
            </div>
          </div>
          <ol class="page-text" aria-label={t('page')}>
            {page.lines.map((line, i) => (
              <li
                key={i}
                class={hover === i ? 'hover' : ''}
                onMouseEnter={() => setHover(i)}
                onMouseLeave={() => setHover(null)}
                onFocus={() => setHover(i)}
                tabIndex={0}
              >
                {line.text}
              </li>
            ))}
          </ol>
        </div>
      ) : (
        <p class="muted">{t('loading')}</p>
      )}
    </div>
  );
}
