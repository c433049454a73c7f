/**
 * The error a bad cluster setting raises. Its own module so the role and
 * settings parsers can both throw it without importing each other.
 *
 * @module
 */

/** A cluster setting is missing or malformed; the message says what to set. */
export class ClusterConfigError extends Error {
  override name = "ClusterConfigError";
}
