/** The canonical order of the manifest's keys and of an assistant's fields: the schema's, as `fmt` writes them. */
export const MANIFEST_KEY_ORDER = ['version', 'project', 'backend', 'variables', 'environments', 'files', 'assistants', 'tests'] as const;
export const ASSISTANT_FIELD_ORDER = ['name', 'model', 'description', 'instructions', 'instructions_file', 'tools', 'files', 'metadata', 'lifecycle'] as const;
