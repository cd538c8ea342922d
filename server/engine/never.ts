/** The default of an exhaustive switch: a new command or event type does not compile until it is handled. */
export function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
