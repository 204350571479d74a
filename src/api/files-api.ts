/**
 * `FilesApi`: the `/files` endpoints that attaching files to assistants needs. Uploads
 * are multipart (`file`, `purpose`); a file on disk is streamed, not read into memory.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { transportOf, type Configuration } from './configuration.js';
import { deleteFileFromWire, fileFromWire, fileListFromWire } from './mappers.js';
import type { DeleteFileResponse, FilePurpose, ListFilesResponse, OpenAIFile } from './models.js';
import { encodePath, type RawBody, type RequestOptions, type Transport } from './transport.js';
import type { WireDeleted, WireFile, WireFileList } from './wire.js';

/** Upload bytes you hold (`file` plus a `filename`) or a file on disk (`filePath`). */
export type FilesApiCreateFileRequest = { purpose: FilePurpose } & (
  | { file: Uint8Array | Blob; filename: string }
  | { filePath: string; filename?: string }
);

export interface FilesApiListFilesRequest {
  purpose?: string;
}
export interface FilesApiRetrieveFileRequest {
  fileId: string;
}
export interface FilesApiDeleteFileRequest {
  fileId: string;
}
export interface FilesApiDownloadFileRequest {
  fileId: string;
}

export class FilesApi {
  readonly #transport: Transport;

  constructor(configuration: Configuration) {
    this.#transport = transportOf(configuration);
  }

  async createFile(request: FilesApiCreateFileRequest, options?: RequestOptions): Promise<OpenAIFile> {
    const [content, filename] =
      'filePath' in request
        ? [await fileOnDisk(request.filePath), request.filename ?? basename(request.filePath)]
        : [fileInMemory(request.file), request.filename];
    const body = multipartUpload(request.purpose, filename, content);
    return fileFromWire(await this.#transport.json<WireFile>({ method: 'POST', path: '/files', body }, options));
  }

  async listFiles(request: FilesApiListFilesRequest = {}, options?: RequestOptions): Promise<ListFilesResponse> {
    const query = { purpose: request.purpose };
    return fileListFromWire(await this.#transport.json<WireFileList>({ method: 'GET', path: '/files', query }, options));
  }

  async retrieveFile(request: FilesApiRetrieveFileRequest, options?: RequestOptions): Promise<OpenAIFile> {
    const path = encodePath`/files/${request.fileId}`;
    return fileFromWire(await this.#transport.json<WireFile>({ method: 'GET', path }, options));
  }

  async deleteFile(request: FilesApiDeleteFileRequest, options?: RequestOptions): Promise<DeleteFileResponse> {
    const path = encodePath`/files/${request.fileId}`;
    return deleteFileFromWire(await this.#transport.json<WireDeleted<'file'>>({ method: 'DELETE', path }, options));
  }

  /** The file's content, as stored. */
  downloadFile(request: FilesApiDownloadFileRequest, options?: RequestOptions): Promise<Buffer> {
    return this.#transport.bytes({ method: 'GET', path: encodePath`/files/${request.fileId}/content` }, options);
  }
}

/** A file part's bytes: their count, and a factory of them (called once per attempt). */
interface FileContent {
  length: number;
  chunks: () => Uint8Array | AsyncIterable<Uint8Array>;
}

async function fileOnDisk(path: string): Promise<FileContent> {
  const { size } = await stat(path);
  return { length: size, chunks: () => createReadStream(path) };
}

function fileInMemory(file: Uint8Array | Blob): FileContent {
  return file instanceof Blob ? { length: file.size, chunks: () => file.stream() } : { length: file.length, chunks: () => file };
}

/**
 * The multipart/form-data body (RFC 7578) of an upload: `purpose`, then the file, encoded
 * as browsers and undici's FormData do (a name or filename escapes `"`, CR and LF). Built
 * here rather than with a FormData: bytes in memory go out as one buffer, with no web
 * streams per upload (a cold apply uploads thousands of small files).
 */
function multipartUpload(purpose: string, filename: string, file: FileContent): RawBody {
  const boundary = `----assistants-${randomUUID()}`;
  const escape = (text: string): string => text.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n${purpose.replace(/\r?\n|\r/g, '\r\n')}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${escape(filename)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + file.length + tail.length;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    content: () => {
      const chunks = file.chunks();
      if (chunks instanceof Uint8Array) return Buffer.concat([head, chunks, tail], length);
      return Readable.from((async function* parts(): AsyncGenerator<Uint8Array> {
        yield head;
        yield* chunks;
        yield tail;
      })(), { objectMode: false });
    },
  };
}
