import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { ChatScreen } from './chat.js';
import { browserLang, setLang, t, type Lang } from './i18n.js';
import { LibraryScreen } from './library.js';
import { navigate, useLocation } from './router.js';
import { SearchScreen } from './search.js';
import { StatusScreen } from './status.js';
import { parseHighlights, ViewerScreen } from './viewer.js';
import './style.css';

type Theme = 'auto' | 'light' | 'dark';

function App() {
  const { path, query } = useLocation();
  const [lang, setLangState] = useState<Lang>(browserLang());
  const [theme, setTheme] = useState<Theme>((localStorage.getItem('docsight.theme') as Theme) ?? 'auto');
  const [errors, setErrors] = useState<{ id: number; text: string }[]>([]);
  setLang(lang);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('docsight.theme', theme);
  }, [theme]);

  // Every screen reports failures here: a readable message, and the app keeps working.
  const onError = (err: unknown) => {
    let text = err instanceof Error ? err.message : String(err);
    // The server requires keys: say where to enter one.
    if (err instanceof ApiError && err.status === 401) text = `${text} — ${t('keyHelpShort')}`;
    setErrors((list) => [...list.slice(-2), { id: Date.now() + Math.random(), text }]);
  };

  const [, section, a, b] = path.split('/');
  const tabs: [string, string][] = [
    ['chat', t('chat')],
    ['library', t('library')],
    ['search', t('search')],
    ['status', t('status')],
  ];
  let screen;
  if (section === 'library') screen = <LibraryScreen onError={onError} />;
  else if (section === 'search') screen = <SearchScreen onError={onError} />;
  else if (section === 'status') screen = <StatusScreen onError={onError} />;
  else if (section === 'viewer' && a)
    screen = (
      <ViewerScreen
        documentId={Number(a)}
        pageNumber={Number(b ?? 1)}
        highlights={parseHighlights(query.get('hl'))}
        onError={onError}
      />
    );
  else screen = <ChatScreen conversationId={a ? decodeURIComponent(a) : undefined} onError={onError} />;

  return (
    <>
      <header class="top">
        <strong class="brand">DocSight</strong>
        <nav>
          {tabs.map(([id, label]) => (
            <a
              key={id}
              href={`/${id}`}
              aria-current={(section || 'chat') === id ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/${id}`);
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        <select
          aria-label={t('language')}
          value={lang}
          onChange={(e) => setLangState((e.target as HTMLSelectElement).value as Lang)}
        >
          <option value="en">English</option>
          <option value="zh-CN">中文</option>
        </select>
        <select
          aria-label={t('theme')}
          value={theme}
          onChange={(e) => setTheme((e.target as HTMLSelectElement).value as Theme)}
        >
          <option value="auto">{t('auto')}</option>
          <option value="light">{t('light')}</option>
          <option value="dark">{t('dark')}</option>
        </select>
      </header>
      {errors.length ? (
        <div class="errors" role="alert">
          {errors.map((e) => (
            <p key={e.id} class="error">
              <span>{e.text}</span>
              <button type="button" class="small" onClick={() => setErrors((l) => l.filter((x) => x !== e))}>
                {t('dismiss')}
              </button>
            </p>
          ))}
        </div>
      ) : null}
      <main>{screen}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
