import { basename } from 'node:path';
import type { ImageInput } from '../../app/page-images.js';
import type { Config } from '../../config/config.js';
import { DocSightError } from '../../errors.js';
import { readLocalFile } from '../../read/intake/read-local-file.js';

/** `--image FILE` (repeated) and `--page N` as the app's image inputs: the files' bytes, read here. */
export async function readImageFiles(paths: string[], page: number, config: Config): Promise<ImageInput[]> {
  if (paths.length === 0) throw new DocSightError('BAD_REQUEST', 'Give at least one --image FILE.');
  const images: ImageInput[] = [];
  for (const path of paths) {
    images.push({ bytes: await readLocalFile(path, config.intake), name: basename(path), page });
  }
  return images;
}

const PRESETS = ['receipt', 'invoice', 'contract'];

/** `--schema`: a preset name as it is, or a JSON Schema file parsed. */
export async function readSchemaFlag(
  schema: string | undefined,
  config: Config,
): Promise<string | Record<string, unknown> | undefined> {
  if (schema === undefined || PRESETS.includes(schema)) return schema;
  try {
    const text = Buffer.from(await readLocalFile(schema, config.intake)).toString('utf8');
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new DocSightError(
      'BAD_REQUEST',
      `--schema ${schema}: not a preset and not a readable JSON file (${(err as Error).message}).`,
    );
  }
}
