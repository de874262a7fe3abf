/**
 * Codes carried by `error` frames. The first group is about the frame itself (the socket stays
 * open); the second mirrors @parley/core's domain errors so a client handles tRPC and socket
 * failures alike. Clients must treat unknown codes as a generic failure.
 */
export const ErrorCode = {
  /** The frame is not valid JSON. */
  BadJson: "BAD_JSON",
  /**
   * The frame is not a command object: a binary frame, a text frame that is not valid UTF-8 (the
   * socket stays open; it is never closed with 1007), JSON that is an array or a string, …
   */
  BadFrame: "BAD_FRAME",
  /** `type` names no command this server knows. */
  UnknownType: "UNKNOWN_TYPE",
  /** The command's fields are missing or wrong; `issues` lists each one. */
  InvalidFields: "INVALID_FIELDS",
  /**
   * The frame is larger than MAX_FRAME_BYTES. The gateway closes such a socket with 4413 rather
   * than answering; the SDK fails an outbox message with this code when its `send` frame would be
   * too large (refused locally, never sent) or the server closed 4413/1009 on it.
   */
  FrameTooLarge: "FRAME_TOO_LARGE",
  /** The command exists in the protocol but this server does not handle it yet. */
  NotImplemented: "NOT_IMPLEMENTED",
  /** `hello` asked for a protocol version this server does not speak. */
  UnsupportedVersion: "UNSUPPORTED_VERSION",
  BadRequest: "BAD_REQUEST",
  Unauthorized: "UNAUTHORIZED",
  Forbidden: "FORBIDDEN",
  NotFound: "NOT_FOUND",
  Conflict: "CONFLICT",
  /** Over a rate limit: retry the same command later (after `retryAfterMs` when the frame has it). */
  TooManyRequests: "TOO_MANY_REQUESTS",
  /** Something failed on the server; retrying the same command (same ids) is safe. */
  Internal: "INTERNAL",
} as const;

export type TErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Why a command was refused, where a client should act on more than the code: an `error` frame's
 * `reason` (and tRPC's `data.reason`) beside its code. Additive: clients go by the code and treat
 * an unknown or absent reason as none.
 */
export const ErrorReason = {
  /**
   * With FORBIDDEN: the message uses @channel, @here or @everyone in a channel where the workspace
   * lets only admins do that (its broadcast policy and member threshold). The same text without
   * the broadcast would be accepted.
   */
  BroadcastRestricted: "BROADCAST_RESTRICTED",
  /**
   * With FORBIDDEN: the message is older than the workspace's edit window (or editing is off: a
   * window of 0). Hide the message's Edit action; nothing else is wrong with the edit.
   */
  EditWindowClosed: "EDIT_WINDOW_CLOSED",
  /**
   * With FORBIDDEN: the sender's own message is older than the workspace's delete window (or
   * deleting is off for members). Workspace admins are never refused for this.
   */
  DeleteWindowClosed: "DELETE_WINDOW_CLOSED",
} as const;

export type TErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];
