/**
 * The emulator's fixed port when it runs as a program (`deno task emulator`,
 * the built-in emulator of `deno task start`): one above the API's 8787, so the
 * two never clash by default and printed commands stay valid across restarts.
 * Tests and `startEmulator()` use any free port instead.
 */
export const DEFAULT_EMULATOR_PORT = 8788;
