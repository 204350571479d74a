/**
 * Validation against `schemas/state.schema.json` (the state document, and one journal
 * entry from its `$defs`). Results are one-line problem descriptions, or null when valid.
 */
import { schemaValidator } from '../schema-file.js';

/** Why `document` is not a valid current-version state, or null. */
export const stateProblem = schemaValidator('state.schema.json');

/** Why `document` is not a valid journal entry, or null. */
export const journalEntryProblem = schemaValidator('state.schema.json', '#/$defs/journalEntry');
