import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  getJson,
  readEvents,
  request,
  sendJson,
  type Conversation,
  type MessageJson,
} from './api.js';
import { AuthImage } from './auth-image.js';
import { t } from './i18n.js';
import { CropDialog } from './crop-dialog.js';
import { cropImage, pickImage, rotateImage, type PickedImage } from './images.js';
import { Markdown } from './markdown-view.js';
import { navigate } from './router.js';

type Task = 'extract' | 'summarize' | 'ask' | 'fields';

interface Turn {
  key: string;
  role: 'user' | 'assistant';
  text: string;
  images: { url?: string; path?: string }[];
  stats?: Record<string, number | string> | null;
  fields?: unknown;
  stopped?: boolean;
}

const toTurn = (m: MessageJson): Turn => ({
  key: `s${m.seq}`,
  role: m.role === 'user' ? 'user' : 'assistant',
  text: m.text,
  images: m.images.map((i) => ({ path: i.url })),
  stats: m.stats,
});

/** 'answered from cache' when the image state was reused, else the encode time. */
function cacheNote(stats: Turn['stats']): string | null {
  if (!stats) return null;
  if (stats.images_encoded === 0) return t('fromCache');
  if (typeof stats.encode_ms === 'number') return t('encodedIn', { ms: Math.round(stats.encode_ms) });
  return null;
}

/** Extracted fields as a table: one row per key, nested values as compact JSON. */
function FieldsTable({ fields }: { fields: unknown }) {
  if (!fields || typeof fields !== 'object') return null;
  return (
    <table class="fields">
      <tbody>
        {Object.entries(fields as Record<string, unknown>).map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{typeof v === 'string' ? v : JSON.stringify(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AnswerActions({ turn }: { turn: Turn }) {
  const [copied, setCopied] = useState(false);
  const note = cacheNote(turn.stats);
  return (
    <div class="turn-meta">
      <button
        type="button"
        class="small"
        onClick={() => void navigator.clipboard?.writeText(turn.text).then(() => setCopied(true))}
      >
        {copied ? t('copied') : t('copy')}
      </button>
      {turn.stopped ? <span class="muted">{t('stopped')}</span> : null}
      {note ? <span class="muted cache-note">{note}</span> : null}
    </div>
  );
}

export function ChatScreen({
  conversationId,
  onError,
}: {
  conversationId?: string;
  onError: (e: unknown) => void;
}) {
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [images, setImages] = useState<PickedImage[]>([]);
  const [text, setText] = useState('');
  const [preset, setPreset] = useState<'receipt' | 'invoice' | 'contract'>('receipt');
  const [busy, setBusy] = useState<AbortController | null>(null);
  const [dragging, setDragging] = useState(false);
  const [cropping, setCropping] = useState<PickedImage | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const cameraInput = useRef<HTMLInputElement>(null);
  const idRef = useRef(conversationId);
  idRef.current = conversationId;

  const loadList = () =>
    getJson<{ conversations: Conversation[] }>('/api/conversations')
      .then((r) => setConversations(r.conversations))
      .catch(onError);

  useEffect(() => void loadList(), []);
  useEffect(() => {
    if (!conversationId) return setTurns([]);
    if (busy) return; // The conversation just created by send(): its turns are on screen already.
    getJson<{ messages: MessageJson[] }>(`/api/conversations/${encodeURIComponent(conversationId)}`)
      .then((d) => setTurns(d.messages.map(toTurn)))
      .catch(onError);
  }, [conversationId]);

  async function addFiles(files: Iterable<File>) {
    const picked = await Promise.all([...files].filter((f) => f.type.startsWith('image/')).map(pickImage));
    setImages((list) => [...list, ...picked]);
  }

  const replaceImage = async (image: PickedImage, change: (i: PickedImage) => Promise<PickedImage>) => {
    const changed = await change(image);
    setImages((list) => list.map((i) => (i.id === image.id ? changed : i)));
  };

  async function send(task?: Task) {
    if (busy) return;
    const question = text.trim();
    if (!question && !task && images.length === 0) return;
    const controller = new AbortController();
    setBusy(controller);
    const sent = images;
    const userKey = `u${Date.now()}`;
    const answerKey = `a${Date.now()}`;
    setTurns((list) => [
      ...list,
      {
        key: userKey,
        role: 'user',
        text: question || (task ? t(task === 'ask' ? 'qa' : task) : ''),
        images: sent.map((i) => ({ url: i.url })),
      },
      { key: answerKey, role: 'assistant', text: '', images: [] },
    ]);
    setText('');
    setImages([]);
    const update = (change: (turn: Turn) => Turn) =>
      setTurns((list) => list.map((turn) => (turn.key === answerKey ? change(turn) : turn)));
    try {
      let id = idRef.current;
      if (!id) {
        const created = await sendJson<Conversation>('POST', '/api/conversations', {
          title: (question || t(task === 'ask' ? 'qa' : (task ?? 'chat'))).slice(0, 60),
        });
        id = created.id;
        idRef.current = id;
        navigate(`/chat/${encodeURIComponent(id)}`);
      }
      const form = new FormData();
      if (question) form.append('text', question);
      if (task) form.append('task', task);
      if (task === 'fields') form.append('preset', preset);
      for (const image of sent) form.append('file', image.blob, image.name);
      const response = await request(`/api/conversations/${encodeURIComponent(id)}/messages`, {
        method: 'POST',
        body: form,
        signal: controller.signal,
      });
      // Pieces are joined per animation frame: one render per frame, not per token.
      let pending = '';
      let scheduled = false;
      const flush = () => {
        scheduled = false;
        const piece = pending;
        pending = '';
        if (piece) update((turn) => ({ ...turn, text: turn.text + piece }));
      };
      await readEvents(response, (frame) => {
        if (frame.type === 'text') {
          pending += String(frame.text);
          if (!scheduled) {
            scheduled = true;
            requestAnimationFrame(flush);
          }
        } else if (frame.type === 'done') {
          flush();
          update((turn) => ({ ...turn, stats: frame.stats as Turn['stats'], fields: frame.fields }));
        }
      });
      flush();
    } catch (err) {
      if ((err as Error).name === 'AbortError') update((turn) => ({ ...turn, stopped: true }));
      else {
        update((turn) => ({ ...turn, text: turn.text || `⚠ ${(err as Error).message}` }));
        onError(err instanceof ApiError ? err : err);
      }
    } finally {
      setBusy(null);
      void loadList();
    }
  }

  async function rename(c: Conversation) {
    const title = prompt(t('rename'), c.title);
    if (!title) return;
    await sendJson('PATCH', `/api/conversations/${encodeURIComponent(c.id)}`, { title }).catch(onError);
    void loadList();
  }

  async function remove(c: Conversation) {
    await sendJson('DELETE', `/api/conversations/${encodeURIComponent(c.id)}`).catch(onError);
    if (c.id === conversationId) navigate('/chat');
    void loadList();
  }

  return (
    <div class="chat">
      <aside class="sidebar" aria-label={t('chat')}>
        <button type="button" onClick={() => navigate('/chat')}>
          + {t('newChat')}
        </button>
        {conversations.length === 0 ? <p class="muted">{t('noConversations')}</p> : null}
        <ul class="conversations">
          {conversations.map((c) => (
            <li key={c.id} class={c.id === conversationId ? 'active' : ''}>
              <a
                href={`/chat/${encodeURIComponent(c.id)}`}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(`/chat/${encodeURIComponent(c.id)}`);
                }}
              >
                {c.title || c.id}
              </a>
              <button
                type="button"
                class="small"
                onClick={() => void rename(c)}
                aria-label={`${t('rename')} ${c.title}`}
              >
                ✎
              </button>
              <button
                type="button"
                class="small"
                onClick={() => void remove(c)}
                aria-label={`${t('delete')} ${c.title}`}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section
        class={`chat-main${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          if (e.dataTransfer) void addFiles(e.dataTransfer.files);
        }}
      >
        <ol class="turns" aria-live="polite">
          {turns.map((turn) => (
            <li key={turn.key} class={`turn ${turn.role}`} data-length={turn.text.length}>
              {turn.images.length ? (
                <div class="thumbs">
                  {turn.images.map((img, i) =>
                    img.url ? (
                      <img key={i} src={img.url} alt="" />
                    ) : (
                      <AuthImage key={i} path={img.path!} alt="" />
                    ),
                  )}
                </div>
              ) : null}
              {turn.role === 'assistant' ? (
                <Markdown text={turn.text} />
              ) : (
                <p class="user-text">{turn.text}</p>
              )}
              {turn.fields ? <FieldsTable fields={turn.fields} /> : null}
              {turn.role === 'assistant' && (turn.text || turn.stopped) ? (
                <AnswerActions turn={turn} />
              ) : null}
            </li>
          ))}
        </ol>
        {cropping ? (
          <CropDialog
            image={cropping}
            onCancel={() => setCropping(null)}
            onApply={(rect) => {
              setCropping(null);
              void replaceImage(cropping, (i) => cropImage(i, rect));
            }}
          />
        ) : null}
        <div class="composer">
          {images.length ? (
            <ul class="picked">
              {images.map((image) => (
                <li key={image.id}>
                  <img src={image.url} alt={image.name} />
                  <button type="button" class="small" onClick={() => void replaceImage(image, rotateImage)}>
                    {t('rotate')}
                  </button>
                  <button type="button" class="small" onClick={() => setCropping(image)}>
                    {t('crop')}
                  </button>
                  <button
                    type="button"
                    class="small"
                    onClick={() => setImages((l) => l.filter((i) => i !== image))}
                  >
                    {t('remove')}
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted drop-hint">{t('dropHere')}</p>
          )}
          <div class="quick">
            <button type="button" onClick={() => fileInput.current?.click()}>
              {t('addImages')}
            </button>
            <button type="button" onClick={() => cameraInput.current?.click()}>
              {t('camera')}
            </button>
            <input
              ref={fileInput}
              type="file"
              accept="image/*"
              multiple
              hidden
              data-testid="chat-files"
              onChange={(e) => void addFiles((e.target as HTMLInputElement).files ?? [])}
            />
            <input
              ref={cameraInput}
              type="file"
              accept="image/*"
              capture="environment"
              hidden
              onChange={(e) => void addFiles((e.target as HTMLInputElement).files ?? [])}
            />
            <button type="button" disabled={!!busy} onClick={() => void send('extract')}>
              {t('extract')}
            </button>
            <button type="button" disabled={!!busy} onClick={() => void send('summarize')}>
              {t('summarize')}
            </button>
            <button type="button" disabled={!!busy} onClick={() => void send('ask')}>
              {t('qa')}
            </button>
            <span class="field-picker">
              <button type="button" disabled={!!busy} onClick={() => void send('fields')}>
                {t('fields')}
              </button>
              <select
                aria-label={t('preset')}
                value={preset}
                onChange={(e) => setPreset((e.target as HTMLSelectElement).value as typeof preset)}
              >
                <option value="receipt">receipt</option>
                <option value="invoice">invoice</option>
                <option value="contract">contract</option>
              </select>
            </span>
          </div>
          <div class="input-row">
            <textarea
              rows={2}
              value={text}
              placeholder={t('askPlaceholder')}
              aria-label={t('askPlaceholder')}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
              onPaste={(e) => {
                const files = [...(e.clipboardData?.files ?? [])];
                if (files.length) {
                  e.preventDefault();
                  void addFiles(files);
                }
              }}
              onKeyDown={(e) => {
                // Enter while an IME is composing (Chinese input) confirms the candidate; it does not send.
                if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
                  e.preventDefault();
                  void send();
                }
              }}
            />
            {busy ? (
              <button type="button" class="stop" onClick={() => busy.abort()}>
                {t('stop')}
              </button>
            ) : (
              <button type="button" class="primary" onClick={() => void send()}>
                {t('send')}
              </button>
            )}
          </div>
        </div>
      </section>
    </div>
  );
}
