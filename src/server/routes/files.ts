/**
 * The Files API (`/v1/files`): multipart upload, list, retrieve, delete, download.
 * No beta header. Contents go to the store's blob store; records to the `files` collection.
 * An upload for assistants with an indexed extension is indexed for retrieval before it is
 * kept, or refused (400 `unsupported_file`) when it cannot be. Deleting a File also detaches
 * it from every assistant and drops it from the index.
 */
import { pipeline } from 'node:stream/promises';
import type { ServerContext } from '../context.js';
import { ApiError, invalidRequest, notFound } from '../errors.js';
import { checkContentLength, payloadTooLarge } from '../http.js';
import { ID_PREFIX, newId, nowSeconds } from '../ids.js';
import { multipartBoundary, readMultipart } from '../multipart.js';
import { RESPONDED, type Router } from '../router.js';
import { indexFullMessage, UnindexableFileError } from '../retrieval/retrieval.js';
import { ResetDuringUpload, TextIndexFull, type BlobWriter } from '../store/store.js';
import { checkEnum, missingParameter } from '../validate.js';

export type FilePurpose = 'fine-tune' | 'fine-tune-results' | 'assistants' | 'assistants_output';

export interface OpenAIFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: FilePurpose;
  status: 'uploaded' | 'processed' | 'error';
  /** Deprecated; the spec makes it an optional string (never null), so it is left out when there is nothing to say. */
  status_details?: string;
}

const UPLOAD_PURPOSES = ['fine-tune', 'assistants'] as const;

/** 409 (clients retry it): `POST /_admin/reset` ran while the upload's body arrived. */
function resetDuringUpload(): ApiError {
  return new ApiError(409, 'The server was reset while this file was being uploaded; nothing was kept. Upload it again.', {
    code: 'reset_during_upload',
  });
}

/** Runs a retrieval step of an upload; a file that cannot be indexed is the API's 400 naming `file`. */
async function refuseUnindexable<T>(filename: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof UnindexableFileError) throw invalidRequest(error.message, 'file', 'unsupported_file');
    if (error instanceof TextIndexFull) throw invalidRequest(indexFullMessage(filename, error.chars, error.used, error.max), 'file', 'unsupported_file');
    if (error instanceof ResetDuringUpload) throw resetDuringUpload();
    throw error;
  }
}

export function registerFileRoutes(router: Router, ctx: ServerContext): void {
  const { store } = ctx;

  const requireFile = async (id: string): Promise<OpenAIFile> => {
    const file = await store.read.get('files', id);
    if (!file) throw notFound('file', id);
    return file;
  };

  router.add(
    'POST',
    '/v1/files',
    async (req) => {
      const boundary = multipartBoundary(req.headers['content-type']);
      if (!boundary) {
        throw invalidRequest(
          `Invalid Content-Type header (${req.headers['content-type'] ?? 'none'}), expected multipart/form-data with a boundary.`,
        );
      }
      const limit = ctx.options.maxUploadBytes;
      checkContentLength(req.req, limit);
      const id = newId(ID_PREFIX.file);
      const resets = await store.resets();
      let writer: BlobWriter | undefined;
      let filename = '';
      let purpose: string | undefined;
      let received = 0;
      const source = async function* (): AsyncGenerator<Buffer> {
        // Stopping early (the closing boundary, an error) must leave the socket open for the answer.
        for await (const chunk of req.req.iterator({ destroyOnReturn: false })) {
          received += (chunk as Buffer).length;
          if (received > limit) throw payloadTooLarge(limit);
          yield chunk as Buffer;
        }
      };
      try {
        await readMultipart(source(), boundary, {
          file(part) {
            if (part.name !== 'file') throw invalidRequest(`Unrecognized request argument supplied: ${part.name}`, part.name);
            if (writer) throw invalidRequest(`Only one 'file' may be uploaded per request.`, 'file');
            filename = part.filename ?? '';
            writer = store.files.create(id);
            return writer;
          },
          field(name, value) {
            if (name === 'purpose') purpose = value;
            else if (name === 'file') throw invalidRequest(`Invalid type for 'file': expected a file, but got a string instead.`, 'file', 'invalid_type');
            else throw invalidRequest(`Unrecognized request argument supplied: ${name}`, name, 'unknown_parameter');
          },
        });
        // Whatever follows the closing boundary is not read: the connection closes after the answer.
        if (!req.req.complete) req.res.setHeader('connection', 'close');
        if (!writer) missingParameter('file');
        if (purpose === undefined) missingParameter('purpose');
        const checkedPurpose = checkEnum(purpose, 'purpose', UPLOAD_PURPOSES);
        const finished = writer;
        // Text to index for retrieval (extracted before the record exists: a refusal keeps nothing).
        const indexed = await refuseUnindexable(filename, () =>
          ctx.retrieval.prepare({ id, filename, purpose: checkedPurpose, content: finished, bytes: finished.bytesWritten }),
        );
        try {
          if (indexed !== null) await refuseUnindexable(filename, () => ctx.retrieval.admit(indexed));
          return await refuseUnindexable(filename, () =>
            store.keepFile({
              record: { id, object: 'file', bytes: finished.bytesWritten, created_at: nowSeconds(), filename, purpose: checkedPurpose, status: 'processed' },
              content: finished,
              text: indexed === null ? null : { json: ctx.retrieval.textRecord(indexed), chars: indexed.text.length },
              resetsSeen: resets,
              maxTextChars: ctx.options.retrieval.maxIndexChars,
            }),
          );
        } catch (error) {
          ctx.retrieval.forget(id);
          throw error;
        }
      } catch (error) {
        await writer?.abort();
        throw error;
      }
    },
    { beta: false, rawBody: true },
  );

  router.add(
    'GET',
    '/v1/files',
    async (req) => {
      const purpose = req.query.get('purpose');
      const data = await store.read.list('files', purpose ? { purpose: purpose as FilePurpose } : {});
      return { object: 'list', data: data.reverse() };
    },
    { beta: false },
  );

  router.add('GET', '/v1/files/:file_id', (req) => requireFile(req.params.file_id), { beta: false });

  router.add(
    'DELETE',
    '/v1/files/:file_id',
    async (req) => {
      const id = req.params.file_id;
      if (!(await store.deleteFile(id))) throw notFound('file', id);
      ctx.retrieval.forget(id);
      return { id, object: 'file', deleted: true };
    },
    { beta: false },
  );

  router.add(
    'GET',
    '/v1/files/:file_id/content',
    async (req) => {
      const file = await requireFile(req.params.file_id);
      const content = await store.files.open(file.id);
      if (!content) throw new ApiError(500, `The content of file '${file.id}' is missing.`, { type: 'server_error' });
      req.res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(content.size),
        'content-disposition': `attachment; filename="${encodeURIComponent(file.filename)}"`,
      });
      // Streamed at the client's pace, never read whole; not awaited, so a slow client
      // does not hold up the server's close (which then cuts the download off).
      pipeline(content.stream, req.res).catch(() => undefined);
      return RESPONDED;
    },
    { beta: false },
  );
}
