/**
 * The client's public model types for assistants, assistant files, tools and files.
 *
 * Field names are camelCase as in the seed interface (`docs/reference/AssistantsApi.md`); the
 * transport maps them to and from the snake_case wire shapes. Values that are user
 * data (metadata keys, a function's JSON-Schema `parameters`) are never renamed.
 */

import type { AssistantTool, Metadata, UnknownTool } from '../assistant-fields.js';

export type {
  AssistantTool,
  CodeInterpreterTool,
  FunctionObject,
  FunctionTool,
  Metadata,
  RetrievalTool,
  UnknownTool,
} from '../assistant-fields.js';

export interface AssistantObject {
  id: string;
  object: 'assistant';
  createdAt: number;
  name: string | null;
  description: string | null;
  model: string;
  instructions: string | null;
  tools: Array<AssistantTool | UnknownTool>;
  fileIds: string[];
  metadata: Metadata | null;
}

export interface CreateAssistantRequest {
  model: string;
  name?: string | null;
  description?: string | null;
  instructions?: string | null;
  tools?: AssistantTool[];
  fileIds?: string[];
  metadata?: Metadata | null;
}

/** The same fields as a create, every one optional: only those given are changed. */
export type ModifyAssistantRequest = Partial<CreateAssistantRequest>;

export interface DeleteAssistantResponse {
  id: string;
  object: 'assistant.deleted';
  deleted: boolean;
}

export interface AssistantFileObject {
  /** The File id (`file-...`). */
  id: string;
  object: 'assistant.file';
  createdAt: number;
  assistantId: string;
}

export interface CreateAssistantFileRequest {
  fileId: string;
}

export interface DeleteAssistantFileResponse {
  id: string;
  object: 'assistant.file.deleted';
  deleted: boolean;
}

/** One page of a cursor-paginated list. `firstId`/`lastId` are null on an empty page. */
export interface ListResponse<T> {
  object: 'list';
  data: T[];
  firstId: string | null;
  lastId: string | null;
  hasMore: boolean;
}

export type ListAssistantsResponse = ListResponse<AssistantObject>;
export type ListAssistantFilesResponse = ListResponse<AssistantFileObject>;

export type FilePurpose = 'assistants' | 'fine-tune';

export interface OpenAIFile {
  id: string;
  object: 'file';
  bytes: number;
  createdAt: number;
  filename: string;
  purpose: 'assistants' | 'assistants_output' | 'fine-tune' | 'fine-tune-results';
  status: 'uploaded' | 'processed' | 'error';
  statusDetails?: string | null;
}

export interface ListFilesResponse {
  object: 'list';
  data: OpenAIFile[];
}

export interface DeleteFileResponse {
  id: string;
  object: 'file';
  deleted: boolean;
}
