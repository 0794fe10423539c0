/** Intake: bytes in, pages out (text layer or pixels). The store and the read path import from here. */
export { openDocument } from './open-document.js';
export type { DocumentKind, DocumentSource, SourcePage, SupportedMime } from './document-source.js';
export { ACCEPTED_TYPES, detectSupportedType } from './detect-type.js';
export { assignBlocks } from './text-layout.js';
