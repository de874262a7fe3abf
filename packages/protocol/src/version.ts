/**
 * The wire protocol version. Bump it on every change to a frame, a field, a close code or an event
 * kind, and add an entry to packages/protocol/CHANGELOG.md saying what changed and what a client
 * of the previous version must do about it.
 */
export const PROTOCOL_VERSION = 6;
