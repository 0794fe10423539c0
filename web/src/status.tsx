import { useEffect, useState } from 'preact/hooks';
import { apiKey, getJson, readEvents, request } from './api.js';
import { t } from './i18n.js';

interface CatalogModel {
  name: string;
  description: string;
  state: string;
  bytes: number;
  total_bytes: number;
}
interface Job {
  id: number;
  document_name: string | null;
  state: string;
  pages_done: number;
  pages_total: number | null;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function StatusScreen({ onError }: { onError: (e: unknown) => void }) {
  const [models, setModels] = useState<CatalogModel[]>([]);
  const [served, setServed] = useState<{ id: string; state?: string }[]>([]);
  const [ready, setReady] = useState<unknown>();
  const [jobs, setJobs] = useState<Job[]>([]);
  const [pulling, setPulling] = useState<Record<string, string>>({});
  const [key, setKey] = useState(apiKey.get());
  const [metrics, setMetrics] = useState<[string, string][]>([]);

  const load = () => {
    getJson<{ models: CatalogModel[] }>('/api/models').then((r) => setModels(r.models), onError);
    getJson<{ data: { id: string; state?: string }[] }>('/v1/models').then((r) => setServed(r.data), onError);
    getJson<{ jobs: Job[] }>('/api/jobs?limit=20').then((r) => setJobs(r.jobs), onError);
    fetch('/ready')
      .then((r) => r.json())
      .then(setReady, () => undefined);
    // Engine and cache counters from the Prometheus text: DocSight's own series only.
    fetch('/metrics')
      .then((r) => (r.ok ? r.text() : ''))
      .then(
        (text) =>
          setMetrics(
            text
              .split('\n')
              .filter((l) => l.startsWith('docsight_') && !l.includes('_bucket{'))
              .slice(0, 60)
              .map((l) => {
                const at = l.lastIndexOf(' ');
                return [l.slice(0, at), l.slice(at + 1)] as [string, string];
              }),
          ),
        () => undefined,
      );
  };
  useEffect(load, []);

  async function pull(name: string) {
    setPulling((p) => ({ ...p, [name]: '0%' }));
    try {
      const response = await request(`/api/models/${encodeURIComponent(name)}/pull`, { method: 'POST' });
      await readEvents(response, (frame) => {
        if (frame.type === 'progress')
          setPulling((p) => ({ ...p, [name]: `${Number(frame.percent ?? 0).toFixed(0)}%` }));
        if (frame.type === 'done') setPulling((p) => ({ ...p, [name]: '100%' }));
      });
    } catch (err) {
      onError(err);
    } finally {
      load();
    }
  }

  return (
    <div class="status">
      <section>
        <h2>{t('apiKey')}</h2>
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            apiKey.set(key.trim());
            load();
          }}
        >
          <input
            type="password"
            class="grow"
            value={key}
            aria-label={t('apiKey')}
            autocomplete="off"
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          />
          <button type="submit" class="primary">
            {t('save')}
          </button>
        </form>
        <p class="muted">{t('keyHelp')}</p>
      </section>
      <section>
        <h2>{t('models')}</h2>
        <table>
          <tbody>
            {models.map((m) => (
              <tr key={m.name}>
                <td>
                  <strong>{m.name}</strong>
                  <div class="muted">{m.description}</div>
                </td>
                <td>
                  {m.state} · {mb(m.bytes)} / {mb(m.total_bytes)}
                  {pulling[m.name] ? <progress max={100} value={parseFloat(pulling[m.name]!)} /> : null}
                </td>
                <td>
                  {m.state !== 'installed' ? (
                    <button type="button" class="small" onClick={() => void pull(m.name)}>
                      {t('pull')}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>{t('engine')}</h2>
        <ul>
          {served.map((m) => (
            <li key={m.id}>
              {m.id}: {m.state ?? 'ready'}
            </li>
          ))}
        </ul>
        {ready ? <pre class="stats">{JSON.stringify(ready, null, 2)}</pre> : null}
        {metrics.length ? (
          <table class="metrics">
            <tbody>
              {metrics.map(([name, value]) => (
                <tr key={name}>
                  <td>
                    <code>{name}</code>
                  </td>
                  <td>{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <section>
        <h2>{t('jobs')}</h2>
        <table>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.id}>
                <td>#{j.id}</td>
                <td>{j.document_name}</td>
                <td>
                  {j.state} {j.pages_total ? `${j.pages_done}/${j.pages_total}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
