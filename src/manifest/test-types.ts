/**
 * Behaviour tests as the loader hands them over: plain data, checked against the manifest
 * of one environment, with the position of everything a failure message points at.
 * `assistants test` runs them (src/conversation-tests/).
 */
import type { AssistantTool } from '../assistant-fields.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { SourcePosition } from './types.js';

export interface TestDefinition {
  name: string;
  description: string | null;
  /** The manifest key of the assistant the conversation is with. */
  assistant: string;
  /** Share of the weighted assertions, over every repetition, that must pass (0-1). */
  threshold: number;
  turns: TurnDefinition[];
  /** Where the test's name is written (the manifest, or a `*.test.yaml` beside it). */
  source: SourcePosition;
}

export interface TurnDefinition {
  user: string;
  /** Manifest file names attached to the message. */
  files: string[];
  run: RunOverrides;
  toolOutputs: ToolOutputStubs;
  assertions: AssertionDefinition[];
}

/** createRun's settings a turn may override, in the client's (camelCase) shape. */
export interface RunOverrides {
  model?: string;
  instructions?: string;
  additionalInstructions?: string;
  tools?: AssistantTool[];
  toolChoice?: 'none' | 'auto' | { type: 'function' | 'code_interpreter' | 'retrieval'; function?: { name: string } };
  responseFormat?: 'auto' | { type: 'text' | 'json_object' };
}

/**
 * Stub outputs for function calls, already as the text submitted: per function (every
 * call gets `always`, or the n-th call the n-th of `perCall`), or for the calls in the
 * order they are made.
 */
export type ToolOutputStubs =
  | { kind: 'by-name'; functions: Record<string, { always: string } | { perCall: string[] }> }
  | { kind: 'in-order'; outputs: string[] };

export interface CallExpectation {
  name: string;
  /** Entries the arguments must contain (objects recursively, anything else equal). */
  arguments: JsonObject | null;
  /** A JSON Schema the arguments must satisfy. */
  argumentsSchema: JsonObject | null;
}

export type RunStatusExpectation = 'completed' | 'failed' | 'cancelled' | 'expired' | 'requires_action';

/** The checks of the reply's text against a text. */
export type TextCheckType = 'contains' | 'icontains' | 'not_contains' | 'equals' | 'starts_with';

/** One check, as the assertion table (conversation-tests/assertions.ts) knows it. */
export type Check =
  | { type: 'status'; status: RunStatusExpectation }
  | { [T in TextCheckType]: { type: T; text: string } }[TextCheckType]
  | { type: 'matches'; pattern: string }
  | { type: 'is_json' }
  | { type: 'json_schema'; schema: JsonValue }
  | { type: 'calls'; calls: CallExpectation[]; order: 'in_order' | 'any' }
  | { type: 'no_calls'; names: string[] | null }
  | { type: 'cites'; file: string; quote: string | null }
  | { type: 'max_tokens'; tokens: number }
  | { type: 'max_latency'; ms: number; written: string };

export type CheckType = Check['type'];

export interface AssertionDefinition {
  check: Check;
  negated: boolean;
  weight: number;
  source: SourcePosition;
}
