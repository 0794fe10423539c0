/** Text for HTML: the OpenAPI document's own strings are ours, but escaping costs nothing and rules out surprises. */
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * `/docs`: the API's routes as one self-contained HTML page, from the OpenAPI document — no script or style
 * fetched from anywhere, so it works on a machine that is offline.
 */
export function docsPage(openapi: Record<string, unknown>): string {
  const paths = openapi.paths as Record<string, Record<string, { summary: string; tags: string[] }>>;
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const rows = byTag.get(op.tags[0] ?? 'API') ?? [];
      rows.push(
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary)}</td></tr>`,
      );
      byTag.set(op.tags[0] ?? 'API', rows);
    }
  }
  const sections = [...byTag]
    .map(([tag, rows]) => `<h2>${escapeHtml(tag)}</h2><table>${rows.join('')}</table>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>DocSight API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}td{padding:.25rem .75rem .25rem 0;vertical-align:top}</style>
</head><body><h1>DocSight API</h1><p>Request and response schemas: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).
Send <code>Authorization: Bearer KEY</code> when the server has keys.</p>${sections}</body></html>`;
}
