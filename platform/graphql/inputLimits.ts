import { ClientError, ErrorCode } from './errors.js';

/**
 * Caps on what a client may send in one argument or input field: checked before any SQL, and
 * refused with BAD_USER_INPUT whose `extensions` name the input (`field`, or `argument` for a
 * field's argument) and the limit (`max`), so that a client can tell which and by how much.
 */
export type InputName = { field: string } | { argument: string };

const nameOf = (input: InputName) => ('field' in input ? input.field : input.argument);

/** Throws BAD_USER_INPUT unless `items` holds at most `max` entries (duplicates count). */
export function capItems(
  input: InputName,
  items: readonly unknown[] | null | undefined,
  max: number,
): void {
  if (items && items.length > max) {
    throw new ClientError(
      ErrorCode.BAD_USER_INPUT,
      `${nameOf(input)} takes at most ${max} items; got ${items.length}.`,
      { ...input, max },
    );
  }
}

/** Throws BAD_USER_INPUT unless `value` is at most `max` characters (UTF-16 code units). */
export function capLength(input: InputName, value: string | null | undefined, max: number): void {
  if (value != null && value.length > max) {
    throw new ClientError(
      ErrorCode.BAD_USER_INPUT,
      `${nameOf(input)} is longer than ${max} characters.`,
      { ...input, max },
    );
  }
}
