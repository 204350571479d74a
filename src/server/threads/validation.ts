/**
 * Parsing of thread, message and run request bodies into typed inputs. Every failure is
 * a 400 (from ../validate.js) whose `param` names the field, as the API does.
 */
import { invalidRequest } from '../errors.js';
import {
  checkArray,
  checkBoolean,
  checkEnum,
  checkInteger,
  checkMetadata,
  checkNumber,
  checkObject,
  checkString,
  invalidType,
  isPlainObject,
  missingParameter,
  rejectUnknownFields,
  requireObjectBody,
} from '../validate.js';
import type { JsonObject, Metadata } from '../validate.js';
import type { StoreReader } from '../store/store.js';
import { checkFileIds, checkTools } from '../routes/assistants.js';
import type { ResponseFormat, Tool, ToolChoice, TruncationStrategy } from './objects.js';

export const MAX_MESSAGE_FILES = 10;
export const MAX_RUN_TOOLS = 20;
export const MAX_MESSAGE_CONTENT = 256_000;
export const MIN_TOKEN_LIMIT = 256;
const MAX_INSTRUCTIONS = 256_000;

export interface MessageInput {
  role: 'user' | 'assistant';
  content: string;
  file_ids: string[];
  metadata: Metadata | null;
}

export interface ThreadInput {
  messages: MessageInput[];
  metadata: Metadata | null;
}

/** The run settings shared by createRun and createThreadAndRun. */
export interface RunSettings {
  assistant_id: string;
  model: string | null;
  instructions: string | null;
  tools: Tool[] | null;
  metadata: Metadata | null;
  temperature: number | null;
  stream: boolean;
  max_prompt_tokens: number | null;
  max_completion_tokens: number | null;
  truncation_strategy: TruncationStrategy | null;
  tool_choice: ToolChoice | null;
  response_format: ResponseFormat | null;
}

export interface RunInput extends RunSettings {
  additional_instructions: string | null;
  additional_messages: MessageInput[];
}

export interface ThreadAndRunInput extends RunSettings {
  thread: ThreadInput;
}

export interface ToolOutput {
  tool_call_id: string;
  output: string;
}

export interface ToolOutputsInput {
  tool_outputs: ToolOutput[];
  stream: boolean;
}

function present(body: JsonObject, key: string): boolean {
  return body[key] !== undefined && body[key] !== null;
}

/** A message body; its `file_ids` must name existing files (purpose `assistants`). */
export async function parseMessage(reader: StoreReader, value: unknown, prefix = ''): Promise<MessageInput> {
  const param = (name: string): string => (prefix === '' ? name : `${prefix}.${name}`);
  const body = prefix === '' ? requireObjectBody(value) : checkObject(value, prefix);
  rejectUnknownFields(body, ['role', 'content', 'file_ids', 'metadata'], prefix);
  if (body['role'] === undefined) missingParameter(param('role'));
  if (body['content'] === undefined) missingParameter(param('content'));
  const role = checkEnum(body['role'], param('role'), ['user', 'assistant'] as const);
  const content = checkString(body['content'], param('content'), { minLength: 1, maxLength: MAX_MESSAGE_CONTENT });
  const fileIds = present(body, 'file_ids') ? await checkFileIds(reader, body['file_ids'], param('file_ids'), MAX_MESSAGE_FILES) : [];
  const metadata = checkMetadata(body['metadata'], param('metadata')) ?? {};
  return { role, content, file_ids: fileIds, metadata };
}

async function parseMessages(reader: StoreReader, value: unknown, param: string): Promise<MessageInput[]> {
  if (value === undefined || value === null) return [];
  const messages: MessageInput[] = [];
  for (const [index, message] of checkArray(value, param).entries()) messages.push(await parseMessage(reader, message, `${param}[${index}]`));
  return messages;
}

async function parseThread(reader: StoreReader, value: unknown, prefix: string): Promise<ThreadInput> {
  const body = prefix === '' ? requireObjectBody(value) : checkObject(value, prefix);
  rejectUnknownFields(body, ['messages', 'metadata'], prefix);
  const param = (name: string): string => (prefix === '' ? name : `${prefix}.${name}`);
  return {
    messages: await parseMessages(reader, body['messages'], param('messages')),
    metadata: checkMetadata(body['metadata'], param('metadata')) ?? {},
  };
}

export function parseCreateThread(reader: StoreReader, value: unknown): Promise<ThreadInput> {
  return parseThread(reader, value, '');
}

/** The body of modifyThread, modifyMessage and modifyRun: `{metadata}` only. */
export function parseMetadataUpdate(value: unknown): { metadata: Metadata | null | undefined } {
  const body = requireObjectBody(value);
  rejectUnknownFields(body, ['metadata']);
  return { metadata: checkMetadata(body['metadata']) };
}

function parseTools(value: unknown): Tool[] | null {
  if (value === undefined || value === null) return null;
  return checkTools(value, 'tools', MAX_RUN_TOOLS);
}

function parseTruncation(value: unknown): TruncationStrategy | null {
  if (value === undefined || value === null) return null;
  const body = checkObject(value, 'truncation_strategy');
  rejectUnknownFields(body, ['type', 'last_messages'], 'truncation_strategy');
  if (body['type'] === undefined) missingParameter('truncation_strategy.type');
  const type = checkEnum(body['type'], 'truncation_strategy.type', ['auto', 'last_messages'] as const);
  const lastMessages = present(body, 'last_messages')
    ? checkInteger(body['last_messages'], 'truncation_strategy.last_messages', { min: 1 })
    : null;
  // `last_messages: null` is allowed by the spec and the SDK's types for either type; with
  // `last_messages` it cuts nothing (the run sees what `auto` would).
  if (type === 'last_messages' && body['last_messages'] === undefined) missingParameter('truncation_strategy.last_messages');
  return { type, last_messages: lastMessages };
}

function parseToolChoice(value: unknown): ToolChoice | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return checkEnum(value, 'tool_choice', ['none', 'auto'] as const);
  if (!isPlainObject(value)) invalidType('tool_choice', 'a string or an object', value);
  rejectUnknownFields(value, ['type', 'function'], 'tool_choice');
  if (value['type'] === undefined) missingParameter('tool_choice.type');
  const type = checkEnum(value['type'], 'tool_choice.type', ['function', 'code_interpreter', 'retrieval'] as const);
  if (type !== 'function') {
    if (value['function'] !== undefined) {
      throw invalidRequest(
        `Invalid 'tool_choice.function': only a tool_choice of type 'function' names a function.`,
        'tool_choice.function',
        'invalid_value',
      );
    }
    return { type };
  }
  if (value['function'] === undefined) missingParameter('tool_choice.function');
  const fn = checkObject(value['function'], 'tool_choice.function');
  rejectUnknownFields(fn, ['name'], 'tool_choice.function');
  if (fn['name'] === undefined) missingParameter('tool_choice.function.name');
  return { type: 'function', function: { name: checkString(fn['name'], 'tool_choice.function.name') } };
}

function parseResponseFormat(value: unknown): ResponseFormat | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return checkEnum(value, 'response_format', ['none', 'auto'] as const);
  if (!isPlainObject(value)) invalidType('response_format', 'a string or an object', value);
  rejectUnknownFields(value, ['type'], 'response_format');
  const type = value['type'] === undefined ? 'text' : checkEnum(value['type'], 'response_format.type', ['text', 'json_object'] as const);
  return { type };
}

function nullableString(body: JsonObject, key: string, maxLength: number): string | null {
  return present(body, key) ? checkString(body[key], key, { maxLength }) : null;
}

function tokenLimit(body: JsonObject, key: string): number | null {
  return present(body, key) ? checkInteger(body[key], key, { min: MIN_TOKEN_LIMIT }) : null;
}

const RUN_FIELDS = [
  'assistant_id',
  'model',
  'instructions',
  'tools',
  'metadata',
  'temperature',
  'stream',
  'max_prompt_tokens',
  'max_completion_tokens',
  'truncation_strategy',
  'tool_choice',
  'response_format',
] as const;

function parseRunSettings(body: JsonObject): RunSettings {
  if (body['assistant_id'] === undefined || body['assistant_id'] === null) missingParameter('assistant_id');
  const tools = parseTools(body['tools']);
  const responseFormat = parseResponseFormat(body['response_format']);
  if (typeof responseFormat === 'object' && responseFormat?.type === 'json_object' && tools !== null) {
    const index = tools.findIndex((tool) => tool.type !== 'function');
    if (index >= 0) {
      throw invalidRequest(
        `Invalid 'tools[${index}].type': only 'function' tools can be used with response_format 'json_object'.`,
        `tools[${index}].type`,
        'invalid_value',
      );
    }
  }
  return {
    assistant_id: checkString(body['assistant_id'], 'assistant_id'),
    model: present(body, 'model') ? checkString(body['model'], 'model', { minLength: 1 }) : null,
    instructions: nullableString(body, 'instructions', MAX_INSTRUCTIONS),
    tools,
    metadata: checkMetadata(body['metadata']) ?? {},
    temperature: present(body, 'temperature') ? checkNumber(body['temperature'], 'temperature', { min: 0, max: 2 }) : null,
    stream: present(body, 'stream') ? checkBoolean(body['stream'], 'stream') : false,
    max_prompt_tokens: tokenLimit(body, 'max_prompt_tokens'),
    max_completion_tokens: tokenLimit(body, 'max_completion_tokens'),
    truncation_strategy: parseTruncation(body['truncation_strategy']),
    tool_choice: parseToolChoice(body['tool_choice']),
    response_format: responseFormat,
  };
}

export async function parseCreateRun(reader: StoreReader, value: unknown): Promise<RunInput> {
  const body = requireObjectBody(value);
  rejectUnknownFields(body, [...RUN_FIELDS, 'additional_instructions', 'additional_messages']);
  const settings = parseRunSettings(body);
  const additionalInstructions = nullableString(body, 'additional_instructions', MAX_INSTRUCTIONS);
  return {
    ...settings,
    additional_instructions: additionalInstructions,
    additional_messages: await parseMessages(reader, body['additional_messages'], 'additional_messages'),
  };
}

export async function parseCreateThreadAndRun(reader: StoreReader, value: unknown): Promise<ThreadAndRunInput> {
  const body = requireObjectBody(value);
  rejectUnknownFields(body, [...RUN_FIELDS, 'thread']);
  const thread = present(body, 'thread') ? await parseThread(reader, body['thread'], 'thread') : { messages: [], metadata: {} };
  return { ...parseRunSettings(body), thread };
}

export function parseSubmitToolOutputs(value: unknown): ToolOutputsInput {
  const body = requireObjectBody(value);
  rejectUnknownFields(body, ['tool_outputs', 'stream']);
  if (body['tool_outputs'] === undefined) missingParameter('tool_outputs');
  const outputs = checkArray(body['tool_outputs'], 'tool_outputs').map((item, index): ToolOutput => {
    const param = `tool_outputs[${index}]`;
    const output = checkObject(item, param);
    rejectUnknownFields(output, ['tool_call_id', 'output'], param);
    if (output['tool_call_id'] === undefined) missingParameter(`${param}.tool_call_id`);
    return {
      tool_call_id: checkString(output['tool_call_id'], `${param}.tool_call_id`),
      output: output['output'] === undefined ? '' : checkString(output['output'], `${param}.output`),
    };
  });
  return { tool_outputs: outputs, stream: present(body, 'stream') ? checkBoolean(body['stream'], 'stream') : false };
}
