import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, readEvents, request, sendJson, type DocumentJson } from './api.js';
import { t } from './i18n.js';
import { navigate } from './router.js';

interface Upload {
  key: string;
  name: string;
  state: string;
  done: number;
  total: number | null;
  error?: string;
}

/** Follows one job's event stream until it ends, reporting each state and progress frame. */
async function followJob(jobId: number, onUpdate: (change: Partial<Upload>) => void) {
  const response = await request(`/api/jobs/${jobId}/events`);
  await readEvents(response, (frame) => {
    if (frame.type === 'state') {
      const job = (frame.job ?? frame) as {
        state?: string;
        pages_done?: number;
        pages_total?: number | null;
      };
      onUpdate({ state: job.state ?? 'queued', done: job.pages_done ?? 0, total: job.pages_total ?? null });
    } else if (frame.type === 'progress') {
      onUpdate({
        state: 'running',
        done: Number(frame.pages_done),
        total: frame.pages_total as number | null,
      });
    } else if (frame.type === 'done' || frame.type === 'cancelled') {
      onUpdate({ state: frame.type });
    } else if (frame.type === 'failed') {
      const error = frame.error as { message?: string } | undefined;
      onUpdate({ state: 'failed', error: error?.message ?? 'failed' });
    }
  });
}

export function LibraryScreen({ onError }: { onError: (e: unknown) => void }) {
  const [documents, setDocuments] = useState<DocumentJson[]>([]);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [collection, setCollection] = useState('');
  const [tags, setTags] = useState('');
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('');
  const [sort, setSort] = useState<'newest' | 'name'>('newest');
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);

  const load = () =>
    getJson<{ documents: DocumentJson[] }>('/api/documents?limit=500')
      .then((r) => setDocuments(r.documents))
      .catch(onError);
  useEffect(() => void load(), []);

  const change = (key: string, c: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...c } : u)));

  /** One request per file: each gets its own status, and a refused file does not stop the others. */
  async function upload(list: Iterable<File>) {
    for (const file of list) {
      const key = `${Date.now()}-${Math.random()}`;
      setUploads((l) => [
        { key, name: file.webkitRelativePath || file.name, state: 'uploading', done: 0, total: null },
        ...l,
      ]);
      const form = new FormData();
      if (collection.trim()) form.append('collection', collection.trim());
      if (tags.trim()) form.append('tags', tags);
      form.append('file', file, file.name);
      try {
        const result = await (await request('/api/documents', { method: 'POST', body: form })).json();
        const entry = (
          result as { documents: { status: string; job_id: number | null; error?: { message: string } }[] }
        ).documents[0]!;
        if (entry.status === 'rejected') change(key, { state: 'failed', error: entry.error?.message });
        else if (entry.job_id === null) change(key, { state: 'done' });
        else {
          change(key, { state: 'queued' });
          void followJob(entry.job_id, (c) => change(key, c))
            .catch((err: Error) => change(key, { state: 'failed', error: err.message }))
            .finally(load);
        }
      } catch (err) {
        change(key, { state: 'failed', error: (err as Error).message });
      }
    }
    void load();
  }

  const shown = documents
    .filter(
      (d) =>
        [d.name, d.collection ?? '', ...d.tags].some((v) => v.toLowerCase().includes(filter.toLowerCase())) &&
        (!status || d.status === status),
    )
    .sort((a, b) =>
      sort === 'name' ? a.name.localeCompare(b.name) : b.created_at.localeCompare(a.created_at),
    );

  return (
    <div
      class="library"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        if (e.dataTransfer) void upload(e.dataTransfer.files);
      }}
    >
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => files.current?.click()}>
          {t('upload')}
        </button>
        <button type="button" onClick={() => folder.current?.click()}>
          {t('uploadFolder')}
        </button>
        <input
          ref={files}
          type="file"
          multiple
          hidden
          data-testid="library-files"
          onChange={(e) => void upload((e.target as HTMLInputElement).files ?? [])}
        />
        <input
          ref={folder}
          type="file"
          hidden
          {...{ webkitdirectory: '' }}
          onChange={(e) => void upload((e.target as HTMLInputElement).files ?? [])}
        />
        <input
          value={collection}
          placeholder={t('collection')}
          aria-label={t('collection')}
          onInput={(e) => setCollection((e.target as HTMLInputElement).value)}
        />
        <input
          value={tags}
          placeholder={t('tags')}
          aria-label={t('tags')}
          onInput={(e) => setTags((e.target as HTMLInputElement).value)}
        />
      </div>
      {uploads.length ? (
        <ul class="uploads">
          {uploads.map((u) => (
            <li key={u.key} class={`upload ${u.state}`} data-state={u.state}>
              <span class="name">{u.name}</span>
              <progress max={u.total ?? 1} value={u.state === 'done' ? (u.total ?? 1) : u.done} />
              <span class="state">
                {u.state}
                {u.total ? ` ${u.done}/${u.total}` : ''}
              </span>
              {u.error ? (
                <span class="error-text" role="alert">
                  {u.error}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      <div class="toolbar">
        <input
          value={filter}
          placeholder={t('filter')}
          aria-label={t('filter')}
          onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
        />
        <select
          aria-label={t('allStatuses')}
          value={status}
          onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}
        >
          <option value="">{t('allStatuses')}</option>
          <option value="ready">ready</option>
          <option value="pending">pending</option>
          <option value="failed">failed</option>
        </select>
        <select
          aria-label={t('sortNewest')}
          value={sort}
          onChange={(e) => setSort((e.target as HTMLSelectElement).value as typeof sort)}
        >
          <option value="newest">{t('sortNewest')}</option>
          <option value="name">{t('sortName')}</option>
        </select>
      </div>
      <table class="documents">
        <tbody>
          {shown.map((d) => (
            <tr key={d.id}>
              <td>
                <a
                  href={`/viewer/${d.id}/1`}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(`/viewer/${d.id}/1`);
                  }}
                >
                  {d.name}
                </a>
                <div class="muted">{[d.collection, ...d.tags].filter(Boolean).join(' · ')}</div>
              </td>
              <td>
                {d.status}
                {d.page_count ? ` · ${d.page_count} ${t('pages')}` : ''}
                {d.error ? <div class="error-text">{d.error}</div> : null}
              </td>
              <td class="actions">
                <button
                  type="button"
                  class="small"
                  onClick={() => void sendJson('POST', `/api/documents/${d.id}/reingest`).then(load, onError)}
                >
                  {t('reingest')}
                </button>
                <button
                  type="button"
                  class="small"
                  onClick={() => void sendJson('DELETE', `/api/documents/${d.id}`).then(load, onError)}
                >
                  {t('delete')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
