/** Validation of a saved plan against `schemas/plan.schema.json`. */
import { schemaValidator } from '../schema-file.js';

/** Why `document` is not a valid current-version plan, or null. */
export const planProblem = schemaValidator('plan.schema.json');
