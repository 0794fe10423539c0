import type { FastifyRequest } from 'fastify';
import { DocSightError } from '../../errors.js';

/** A multipart form read whole: its text fields, and its files in order, each within the size limit. */
export interface MultipartForm {
  fields: Record<string, string>;
  files: { field: string; name: string; bytes: Buffer }[];
}

export interface MultipartLimits {
  /** Largest file, bytes (intake.maxFileBytes): a larger one is FILE_TOO_LARGE (413) as soon as it is seen. */
  maxFileBytes: number;
  maxFiles: number;
  /** Largest text field, bytes. */
  maxFieldBytes: number;
}

/**
 * Reads a multipart/form-data request (@fastify/multipart must be registered on its scope): files are streamed
 * from the socket and stop being read the moment one passes `maxFileBytes`; text fields are kept by name.
 *
 * @example
 *   const { fields, files } = await readMultipartForm(request, { maxFileBytes, maxFiles: 8, maxFieldBytes: 1 << 20 });
 */
export async function readMultipartForm(
  request: FastifyRequest,
  limits: MultipartLimits,
): Promise<MultipartForm> {
  const form: MultipartForm = { fields: {}, files: [] };
  try {
    const parts = request.parts({
      limits: {
        fileSize: limits.maxFileBytes,
        files: limits.maxFiles,
        fieldSize: limits.maxFieldBytes,
        fields: 32,
      },
    });
    for await (const part of parts) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        form.files.push({
          field: part.fieldname,
          name: part.filename || `image ${form.files.length + 1}`,
          bytes,
        });
      } else {
        form.fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new DocSightError(
        'FILE_TOO_LARGE',
        `A file is larger than ${limits.maxFileBytes} bytes (intake.maxFileBytes); send a smaller one.`,
      );
    }
    if (code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') {
      throw new DocSightError(
        'BAD_REQUEST',
        `Too many files or fields: at most ${limits.maxFiles} files (server.maxImagesPerRequest) per request.`,
      );
    }
    throw err;
  }
  return form;
}
