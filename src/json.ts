/** JSON values as plain data: what the wire, the manifest, plans and state all hold. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
