/**
 * `FilesApi`: the `/files` endpoints that attaching files to assistants needs. Uploads
 * are multipart (`file`, `purpose`); a file on disk is streamed, not read into memory.
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import type { FormData } from 'undici';
import { transportOf, type Configuration } from './configuration.js';
import { deleteFileFromWire, fileFromWire, fileListFromWire } from './mappers.js';
import type { DeleteFileResponse, FilePurpose, ListFilesResponse, OpenAIFile } from './models.js';
import { encodePath, type RequestOptions, type Transport } from './transport.js';
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
    const [blob, filename] =
      'filePath' in request
        ? [await openAsBlob(request.filePath), request.filename ?? basename(request.filePath)]
        : [request.file instanceof Blob ? request.file : new Blob([new Uint8Array(request.file)]), request.filename];
    // Loaded at the first upload: undici's FormData comes with its fetch, which nothing else here needs (pool.ts).
    const { FormData: Form } = await import('undici');
    const form = (): FormData => {
      const data = new Form();
      data.append('purpose', request.purpose);
      data.append('file', blob, filename);
      return data;
    };
    return fileFromWire(await this.#transport.json<WireFile>({ method: 'POST', path: '/files', body: { form } }, options));
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
