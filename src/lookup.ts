// Lookups in the registries (plain records keyed by name) that see only the record's own
// properties: a name read from a config file or a flag, such as "__proto__", "constructor" or
// "valueOf", is not a key of the record just because every object inherits it.

/** True when `key` is one of the record's own keys (never an inherited property). */
export function isOwnKey<T extends object>(record: T, key: unknown): key is keyof T & string {
  return typeof key === 'string' && Object.hasOwn(record, key);
}

/** The record's own keys, typed as its keys, in definition order. */
export function ownKeys<T extends object>(record: T): (keyof T & string)[] {
  return Object.keys(record).filter((k) => isOwnKey(record, k));
}

/** True for a plain object (not null, not an array): a record whose fields can be looked up. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
