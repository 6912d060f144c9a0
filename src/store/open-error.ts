/** The store could not be opened at all (e.g. DATA_DIR is read-only); the message names the setting, the path and why. */
export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
}
