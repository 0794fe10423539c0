import { readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { DocSightError } from '../errors.js';

/** Extensions picked up when a folder is walked; files named explicitly are taken whatever they are. */
const DOCUMENT_EXTENSIONS = /\.(pdf|png|jpe?g|webp|tiff?|bmp|gif|txt)$/i;

/**
 * Expands the CLI's inputs into file paths: files as given, folders recursively (documents only,
 * hidden entries skipped), and globs (`*`, `?`, `**`) matched here, since Node 20 has no fs.glob
 * and a quoted glob reaches us unexpanded. Sorted and de-duplicated; a pattern that matches nothing is an error.
 *
 * @example
 *   await expandInputPaths(['scans/', 'invoices/**\/*.pdf', 'one.png']);
 */
export async function expandInputPaths(inputs: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const input of inputs) {
    let matched = 0;
    const add = (file: string): void => {
      out.add(file);
      matched++;
    };
    if (/[*?]/.test(input)) {
      const abs = resolve(input);
      const parts = abs.split(sep);
      const firstGlob = parts.findIndex((p) => /[*?]/.test(p));
      const root = parts.slice(0, firstGlob).join(sep) || sep;
      const re = globToRegExp(abs);
      for (const file of await walk(root, false)) if (re.test(file)) add(file);
    } else {
      const abs = resolve(input);
      const info = await stat(abs).catch(() => undefined);
      if (!info) throw new DocSightError('NOT_FOUND', `${input}: no such file or folder.`);
      if (info.isDirectory()) {
        for (const file of await walk(abs, true)) add(file);
      } else {
        add(abs);
      }
    }
    if (matched === 0) {
      throw new DocSightError('NOT_FOUND', `${input}: no documents found (PDF, images or .txt).`);
    }
  }
  return [...out].sort();
}

async function walk(dir: string, documentsOnly: boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await walk(path, documentsOnly)));
    else if (e.isFile() && (!documentsOnly || DOCUMENT_EXTENSIONS.test(e.name))) files.push(path);
  }
  return files;
}

/** `**` crosses folders, `*` and `?` stay within one name. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
