/**
 * Export: a manifest written from assistants that already exist, so a team can bring an
 * account (or another server's contents) under management. Pure: live objects in, the
 * manifest document and the files to write out; the command does the I/O.
 *
 * Everything taken from the server into a field the manifest interpolates is escaped
 * (`${` as `$${`): an assistant named `${env.OPENAI_API_KEY}` stays that literal text,
 * and a stray `${` cannot make the export invalid. Instructions files are used as they
 * are, so they are written as they are.
 */
import type { AssistantObject, FunctionTool, OpenAIFile } from '../api/models.js';
import type { JsonValue } from '../json.js';
import { METADATA_LIMIT } from '../assistant-fields.js';
import { adoptionRefusal, formatOwner, parseOwner, withoutTag } from '../plan/ownership.js';
import { DEFAULT_ENVIRONMENT } from '../default-environment.js';
import { escapeTemplate } from '../manifest/interpolate.js';

export interface ExportInput {
  project: string;
  /** As listed with order=asc: oldest first. */
  assistants: AssistantObject[];
  /** Every file in the account, for names and sizes of the attached ones. */
  files: OpenAIFile[];
}

export interface ExportedAssistant {
  key: string;
  id: string;
}

/** An assistant left out of the export, because `import` would refuse it. */
export interface SkippedAssistant {
  id: string;
  name: string | null;
  reason: string;
}

export interface Export {
  /** The manifest as plain data, ready for YAML. */
  document: Record<string, unknown>;
  /** Files to write beside the manifest: relative path -> where the content comes from. */
  writes: Array<{ path: string; fileId?: string; text?: string }>;
  assistants: ExportedAssistant[];
  skipped: SkippedAssistant[];
  /** Things the manifest cannot say (an unknown tool type, an attachment whose file is gone). */
  warnings: string[];
}

/** Instructions longer than this, or on several lines, go to a file of their own. */
const INLINE_INSTRUCTIONS_MAX = 200;
const KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/**
 * A file name kept as it is (a plan compares the uploaded name): one path segment on any
 * disk (`${` in it is escaped in the manifest).
 */
const SAFE_FILENAME = /^(?!\.+$)(?![ .])(?!.*[ .]$)[^/\\<>:"|?*\p{Cc}]{1,200}$/u;

export function buildExport(input: ExportInput): Export {
  const fileById = new Map(input.files.map((f) => [f.id, f]));
  const writes: Export['writes'] = [];
  const warnings: string[] = [];
  const fileNames = new Map<string, string>();
  const takenFileNames = new Set<string>();
  const takenPaths = new Set<string>();
  const filesSection: Record<string, { path: string }> = {};
  const nameForFile = (id: string): string | null => {
    const known = fileNames.get(id);
    if (known) return known;
    const file = fileById.get(id);
    if (!file) return null;
    const basename = file.filename.split(/[\\/]/).pop() ?? '';
    const name = unique(slug(basename.replace(/\.[^.]*$/, ''), 'file'), takenFileNames, 64);
    // The file keeps the name it was uploaded under (a plan compares it), in a folder of its own if two share one.
    const kept = SAFE_FILENAME.test(file.filename);
    const base = kept ? file.filename : `${name}${extensionOf(file.filename)}`;
    if (!kept) {
      warnings.push(`${id} (${JSON.stringify(file.filename)}) is saved as ${base}, its name not being a portable file name; the plan uploads it again under that name`);
    }
    const path = takenPaths.has(`files/${base}`) ? `files/${name}/${base}` : `files/${base}`;
    takenPaths.add(path);
    fileNames.set(id, name);
    filesSection[name] = { path: escapeTemplate(path) };
    writes.push({ path, fileId: id });
    return name;
  };

  const takenKeys = new Set<string>();
  const assistants: Record<string, unknown> = {};
  const exported: ExportedAssistant[] = [];
  const skipped: SkippedAssistant[] = [];
  // In listing order (oldest first): created_at ties within a second, the server's order does not.
  for (const assistant of input.assistants) {
    const reason = importRefusal(assistant, input.project);
    if (reason !== null) {
      skipped.push({ id: assistant.id, name: assistant.name, reason });
      continue;
    }
    const tagged = parseOwner(assistant.metadata)?.key;
    const key = unique(tagged && KEY_PATTERN.test(tagged) ? tagged : slug(assistant.name ?? '', 'assistant'), takenKeys, 63);
    const entry: Record<string, unknown> = {};
    if (assistant.name !== null) entry.name = escapeTemplate(assistant.name);
    entry.model = escapeTemplate(assistant.model);
    if (assistant.description !== null) entry.description = escapeTemplate(assistant.description);
    if (assistant.instructions !== null) {
      if (assistant.instructions.length > INLINE_INSTRUCTIONS_MAX || assistant.instructions.includes('\n')) {
        const path = `instructions/${key}.md`;
        writes.push({ path, text: assistant.instructions });
        entry.instructions_file = path;
      } else {
        entry.instructions = escapeTemplate(assistant.instructions);
      }
    }
    const tools: JsonValue[] = [];
    for (const tool of assistant.tools) {
      if (tool.type === 'function') {
        const fn = (tool as FunctionTool).function;
        const escaped = fn.description === undefined ? fn : { ...fn, description: escapeTemplate(fn.description) };
        tools.push({ type: 'function', function: escaped } as unknown as JsonValue);
      } else if (tool.type === 'code_interpreter' || tool.type === 'retrieval') tools.push(tool as unknown as JsonValue);
      else warnings.push(`${assistant.id} (${key}): a tool of type "${tool.type}" has no manifest form and was left out`);
    }
    if (tools.length > 0) entry.tools = tools;
    const attached: string[] = [];
    for (const id of assistant.fileIds) {
      const name = nameForFile(id);
      if (name) attached.push(name);
      else warnings.push(`${assistant.id} (${key}): attached file ${id} no longer exists and was left out`);
    }
    if (attached.length > 0) entry.files = attached;
    const metadata = withoutTag(assistant.metadata);
    for (const [metaKey, value] of Object.entries(metadata)) metadata[metaKey] = escapeTemplate(value);
    if (Object.keys(metadata).length > 0) entry.metadata = metadata;
    assistants[key] = entry;
    exported.push({ key, id: assistant.id });
  }

  const document: Record<string, unknown> = { version: 1, project: input.project };
  if (Object.keys(filesSection).length > 0) document.files = filesSection;
  document.assistants = assistants;
  return { document, writes, assistants: exported, skipped, warnings };
}

/** Why `assistants import` would refuse this assistant into `project`, or null. */
function importRefusal(assistant: AssistantObject, project: string): string | null {
  const refusal = adoptionRefusal(assistant.metadata, { project, environment: DEFAULT_ENVIRONMENT });
  if (refusal === null) return null;
  return refusal.reason === 'other-owner'
    ? `owned by ${formatOwner(refusal.owner)}: another project or environment manages it`
    : `has ${refusal.entries} metadata entries, leaving none of the API's ${METADATA_LIMIT} for the ownership tag; remove one and export again`;
}

/** A manifest key or file name from free text: lowercase letters, digits, `-` and `_`. */
function slug(text: string, fallback: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  return cleaned === '' ? fallback : cleaned;
}

/** `base` (cut to `maxLength`), or `base-2`, `base-3`... when already taken. */
function unique(base: string, taken: Set<string>, maxLength: number): string {
  let candidate = base.slice(0, maxLength);
  for (let n = 2; taken.has(candidate); n++) {
    const suffix = `-${n}`;
    candidate = `${base.slice(0, maxLength - suffix.length)}${suffix}`;
  }
  taken.add(candidate);
  return candidate;
}

function extensionOf(filename: string): string {
  const match = /\.[A-Za-z0-9]{1,10}$/.exec(filename);
  return match ? match[0] : '';
}
