/**
 * The engine worker: a child process that owns the native addon. It is the only process that runs
 * llama.cpp, so a native abort (bad tensor, assertion) ends here and the parent restarts it.
 * Entry point for child_process.fork; speaks the messages in engine-protocol.ts.
 */
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import sharp from 'sharp';
import { DocSightError } from '../../errors.js';
import type { ToWorker, WorkerGenerateRequest } from './engine-protocol.js';
import { loadNativeAddon, type NativeImage, type NativeSession } from '../../native/native-addon.js';
import { send, serveParentRequests } from '../../native/serve-parent-requests.js';

const addon = loadNativeAddon();
let session: NativeSession | undefined;

/** Decodes, orients and scales an image to the pixel budget; its id is a hash of the pixels. */
async function prepareImage(image: Uint8Array, maxSide: number): Promise<NativeImage> {
  try {
    let pipeline = sharp(image, { limitInputPixels: 100_000_000 }).rotate();
    if (maxSide > 0) {
      pipeline = pipeline.resize({
        width: maxSide,
        height: maxSide,
        fit: 'inside',
        withoutEnlargement: true,
      });
    }
    const { data, info } = await pipeline
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const id = createHash('sha256')
      .update(`${info.width}x${info.height}:`)
      .update(data)
      .digest('hex')
      .slice(0, 32);
    return { rgb: data, width: info.width, height: info.height, id };
  } catch (err) {
    throw new DocSightError(
      'CORRUPT_FILE',
      `An image could not be decoded (${(err as Error).message}). Send PNG, JPEG or WebP.`,
    );
  }
}

async function generate(id: number, req: WorkerGenerateRequest): Promise<unknown> {
  if (!session) throw new DocSightError('ENGINE_FAILED', 'the model is not loaded');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const images = await Promise.all(req.images.map((im) => prepareImage(im, req.imageMaxSide)));
  const imagePrepMs = performance.now() - t0;
  let grammar: string | undefined;
  if (req.jsonSchema !== undefined) grammar = addon.schemaToGrammar(JSON.stringify(req.jsonSchema));
  const decoder = new StringDecoder('utf8');
  const result = await session.generate(
    {
      prompt: req.prompt,
      images,
      maxTokens: req.maxTokens,
      temperature: req.temperature,
      topP: req.topP,
      seed: req.seed,
      stop: req.stop,
      grammar,
      ignoreEos: req.ignoreEos,
    },
    (piece) => {
      const text = decoder.write(piece);
      if (text) send({ kind: 'piece', id, text });
    },
  );
  const rest = decoder.end();
  if (rest) send({ kind: 'piece', id, text: rest });
  const cpu = process.cpuUsage(cpu0);
  // CPU time of the worker process (all threads) for this request: robust to a busy machine.
  return { ...result, imagePrepMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

serveParentRequests<ToWorker>(
  async (msg) => {
    switch (msg.kind) {
      case 'load': {
        session?.release();
        session = new addon.Session();
        return session.load(msg.options);
      }
      case 'generate':
        return generate(msg.id, msg.request);
      case 'saveState':
        if (!session) throw new DocSightError('ENGINE_FAILED', 'the model is not loaded');
        return session.saveState(msg.path);
      case 'loadState':
        if (!session) throw new DocSightError('ENGINE_FAILED', 'the model is not loaded');
        return session.loadState(msg.path);
      case 'clearCache':
        session?.clearCache();
        return null;
      case 'systemInfo':
        return addon.systemInfo();
    }
  },
  () => session?.abort(), // abort: takes effect at the next token or batch
);
