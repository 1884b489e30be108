/**
 * What Arbiter's services need of a logger: the subset of pino's API they call, so the server's
 * own pino logger (or a test's recorder) can be passed in unchanged.
 */
export interface Logger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** A logger that drops everything, for library callers that log nothing. */
export const silentLogger: Logger = {
  warn() {},
  error() {},
};
