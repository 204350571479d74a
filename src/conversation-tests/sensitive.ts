/**
 * The sensitive values a test run could echo: an assistant's instructions made with a
 * secret come back in replies. Reports and messages show them as (sensitive).
 */
import type { DesiredState } from '../manifest/types.js';
import { sensitiveStrings } from '../plan/redact.js';
import { desiredView } from '../plan/view.js';
import { scrubValues } from '../redaction.js';

/** Every sensitive text of the desired assistants (whole field values, metadata entries). */
export function sensitiveTexts(desired: DesiredState): string[] {
  return Object.values(desired.assistants).flatMap((assistant) => {
    if (assistant.sensitive.length === 0) return [];
    const view = desiredView(assistant, { project: desired.project, environment: desired.environment, key: assistant.key }, desired.files);
    return sensitiveStrings(view, assistant.sensitive.map((path) => ({ path, changed: false })));
  });
}

/** A function that shows `text` with every sensitive text of `desired` as (sensitive). */
export function scrubberFor(desired: DesiredState): (text: string) => string {
  const secrets = sensitiveTexts(desired);
  return secrets.length === 0 ? (text) => text : (text) => scrubValues(text, secrets);
}
