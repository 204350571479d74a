/**
 * The state file format: create, read (parse, upgrade, validate) and write (sorted JSON).
 * Reading refuses a version newer than this tool knows, and upgrades an older one step
 * by step through `UPGRADES` before validating against the current schema.
 */
import { randomUUID } from 'node:crypto';
import { UserError } from '../errors.js';
import { stringifySorted } from '../canonical-json.js';
import { asDictionary, dictionary, dictionaryOf } from '../dictionary.js';
import { stateProblem } from './schema.js';
import { STATE_FORMAT_VERSION, type StateFile } from './types.js';

export interface NewStateInput {
  project: string;
  environment: string;
  /** The API base URL (never a key). */
  endpoint: string;
  toolVersion: string;
}

/** An empty state with a fresh lineage and serial 0 (the first write makes it 1). */
export function newState(input: NewStateInput): StateFile {
  return {
    version: STATE_FORMAT_VERSION,
    lineage: randomUUID(),
    serial: 0,
    toolVersion: input.toolVersion,
    project: input.project,
    environment: input.environment,
    endpoint: input.endpoint,
    assistants: dictionary(),
    files: dictionary(),
  };
}

type Document = Record<string, unknown>;

/**
 * `UPGRADES[n]` turns a version-n document into a version-(n+1) one.
 * 2: `testResults` (behaviour-test outcomes) may be present; a version-1 state has none.
 * 3: `releases` (what each apply released) may be present; a version-2 state has none.
 */
const UPGRADES: Readonly<Record<number, (document: Document) => Document>> = {
  1: (v1) => ({ ...v1, version: 2 }),
  2: (v2) => ({ ...v2, version: 3 }),
};

function stateError(source: string, problem: string): UserError {
  return new UserError('STATE', `${source}: ${problem}`);
}

function upgrade(document: Document, source: string): Document {
  const version = document['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw stateError(source, `not a state file: "version" must be a positive integer (found ${JSON.stringify(version) ?? 'none'})`);
  }
  if (version > STATE_FORMAT_VERSION) {
    throw stateError(
      source,
      `state format version ${version} is newer than this tool supports (${STATE_FORMAT_VERSION}); upgrade assistants to read it`,
    );
  }
  let current = document;
  for (let from = version; from < STATE_FORMAT_VERSION; from += 1) {
    const step = UPGRADES[from];
    if (step === undefined) throw stateError(source, `no upgrade from state format version ${from}`);
    current = step(current);
  }
  return current;
}

/** How to repair a local state file that cannot be read. */
function fileRepair(source: string): string {
  return `restore it from ${source}.backup or run "assistants state rebuild"`;
}

/**
 * The state in `text`, upgraded to the current version and validated. `source` (a path
 * or a backend's location) starts every error message, which is one line.
 */
export function parseState(text: string, source: string): StateFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw stateError(source, `not valid JSON (${(error as Error).message}); ${fileRepair(source)}`);
  }
  return validState(parsed, source, fileRepair(source), asDictionary);
}

/**
 * A state document already parsed from JSON (a jsonb column, say), upgraded and
 * validated. `repair` ends the message when it is not a valid state: how to get one back.
 */
export function parseStateDocument(parsed: unknown, source: string, repair: string): StateFile {
  return validState(parsed, source, repair, dictionaryOf);
}

type ToDictionary = <T>(record: Record<string, T>) => Record<string, T>;

/** `toDictionary`: asDictionary for a document this module parsed (nobody else holds it), else dictionaryOf (a copy). */
function validState(parsed: unknown, source: string, repair: string, toDictionary: ToDictionary): StateFile {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw stateError(source, `not a state: expected a JSON object; ${repair}`);
  }
  const document = upgrade(parsed as Document, source);
  const problem = stateProblem(document);
  if (problem !== null) throw stateError(source, `invalid state: ${problem}; ${repair}`);
  return withDictionaries(document as unknown as StateFile, toDictionary);
}

/** The state with every map keyed by a user's names made prototype-less (a file named `constructor` is a key). */
function withDictionaries(state: StateFile, toDictionary: ToDictionary): StateFile {
  const { pendingUploads, unsettledUploads, retiredFiles, testResults, releases, ...rest } = state;
  return {
    ...rest,
    assistants: toDictionary(state.assistants),
    files: toDictionary(state.files),
    ...(pendingUploads === undefined ? {} : { pendingUploads: toDictionary(pendingUploads) }),
    ...(unsettledUploads === undefined ? {} : { unsettledUploads: toDictionary(unsettledUploads) }),
    ...(retiredFiles === undefined ? {} : { retiredFiles: toDictionary(retiredFiles) }),
    ...(testResults === undefined
      ? {}
      : { testResults: dictionary(Object.entries(testResults).map(([key, record]) => [key, { ...record, tests: toDictionary(record.tests) }] as const)) }),
    ...(releases === undefined
      ? {}
      : {
          releases: dictionary(
            Object.entries(releases).map(([key, record]) => [key, { ...record, fields: toDictionary(record.fields), files: toDictionary(record.files) }] as const),
          ),
        }),
  };
}

/** The file's text: pretty JSON with sorted keys and a final newline. */
export function serializeState(state: StateFile): string {
  return stringifySorted(state);
}
