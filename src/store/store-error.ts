/**
 * The event store could not be read: missing, not a store of the expected
 * schema, locked, unreachable, refused our credentials, or its driver is not
 * installed. Its own exit code (5), so a script can tell "the store is wrong"
 * from "the gateway is down". The message names what was tried (the store's
 * display form, never a password) and what to check.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
