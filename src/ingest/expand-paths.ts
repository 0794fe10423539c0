import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { DocSightError } from '../errors.js';

/** Extensions picked up when a folder is walked; files named explicitly are taken whatever they are. */
const DOCUMENT_EXTENSIONS = /\.(pdf|png|jpe?g|webp|tiff?|bmp|gif|txt)$/i;

/**
 * Expands the CLI's inputs into file paths: files as given, folders recursively (documents only,
 * hidden entries skipped), and globs (`*`, `?`, `**`) matched here, since Node 20 has no fs.glob
 * and a quoted glob reaches us unexpanded. Sorted and de-duplicated; a pattern that matches nothing is an error.
 *
 * Symbolic links met while walking a folder are followed only when they point inside that folder (a link
 * to `/etc/passwd` in a shared folder must not make it searchable), unless `followLinks` is set; each real
 * folder is walked once, so link loops end.
 *
 * @example
 *   await expandInputPaths(['scans/', 'invoices/**\/*.pdf', 'one.png']);
 */
export async function expandInputPaths(
  inputs: string[],
  options: { followLinks?: boolean } = {},
): Promise<string[]> {
  const followLinks = options.followLinks ?? false;
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
      for (const file of await walk(root, { documentsOnly: false, followLinks }))
        if (re.test(file)) add(file);
    } else {
      const abs = resolve(input);
      const info = await stat(abs).catch(() => undefined);
      if (!info) throw new DocSightError('NOT_FOUND', `${input}: no such file or folder.`);
      if (info.isDirectory()) {
        for (const file of await walk(abs, { documentsOnly: true, followLinks })) add(file);
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

interface WalkOptions {
  documentsOnly: boolean;
  followLinks: boolean;
}

/** The files under `top`; links are followed only to targets inside `top` unless `followLinks`. */
async function walk(top: string, options: WalkOptions): Promise<string[]> {
  const root = await realpath(top).catch(() => top);
  const inside = (real: string): boolean =>
    real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
  const visited = new Set<string>();
  const files: string[] = [];
  const visit = async (dir: string, real: string): Promise<void> => {
    if (visited.has(real)) return;
    visited.add(real);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      let isDirectory = e.isDirectory();
      let isFile = e.isFile();
      let target = join(real, e.name);
      if (e.isSymbolicLink()) {
        const resolved = await realpath(path).catch(() => undefined);
        if (!resolved || (!options.followLinks && !inside(resolved))) continue;
        const info = await stat(resolved).catch(() => undefined);
        isDirectory = info?.isDirectory() ?? false;
        isFile = info?.isFile() ?? false;
        target = resolved;
      }
      if (isDirectory) await visit(path, target);
      else if (isFile && (!options.documentsOnly || DOCUMENT_EXTENSIONS.test(e.name))) files.push(path);
    }
  };
  await visit(top, root);
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
