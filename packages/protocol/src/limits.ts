/**
 * Largest frame (UTF-8 bytes of one WebSocket message, fragments counted together) the gateway
 * accepts; a larger one closes the socket with 4413 whatever its size. A valid `send` stays well
 * under it (text rules allow no control characters, so a character encodes to at most 3 bytes:
 * about 300 KB at MAX_BODY_LENGTH), but a gateway may be configured lower, so clients measure the
 * encoded frame against the limit they are given, not the body.
 */
export const MAX_FRAME_BYTES = 512 * 1024;

/**
 * Hard ceiling on a message body, in UTF-16 code units: a wire limit, not a setting. The operator's
 * MAX_MESSAGE_LENGTH (@parley/config; its default and its ceiling, which is this) is enforced by
 * core after trimming; this bounds what `ZSendFields` lets through anywhere.
 */
export const MAX_BODY_LENGTH = 100_000;

/** Most attachments one `send` may carry. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

/** Longest client-chosen command id. */
export const MAX_COMMAND_ID_LENGTH = 64;

/** Most users one connection may watch the presence of. */
export const MAX_PRESENCE_WATCH = 500;

/** Longest custom status text. */
export const MAX_STATUS_TEXT_LENGTH = 100;

/**
 * Most log entries the server replays for one conversation in answer to one `sync`/`hello`;
 * beyond it the conversation's status is `more` (sync again from the new cursor, or refetch).
 */
export const SYNC_PAGE_SIZE = 1000;

/**
 * Most conversation cursors one `sync` or `hello` may carry; more is refused whole (INVALID_FIELDS
 * naming `cursors`, nothing replayed). Far above what one person is a member of in practice (a
 * member of more conversations resumes with several `sync`s); it bounds the work and the answer
 * one frame can ask for (a `synced` entry per cursor).
 */
export const MAX_SYNC_CURSORS = 5000;

/** Channels of at most this many members show "seen by N"; larger ones show no read state. */
export const RECEIPTS_MAX_MEMBERS = 50;

/**
 * The password strength check (zxcvbn-ts), the same on the server and in the browser's meter:
 * the first PASSWORD_STRENGTH_MAX_CHARS characters are scored (more are never weak), and at most
 * this many l33t substitutions (4→a, 1→i, …) are tried per word. zxcvbn-ts's default, 100, made one
 * check cost 240 ms for an ordinary "name-password-1234abcd" and 600–700 ms for a 100-character
 * string of l33t characters — on the server's event loop, before any rate limit. At 10 those cost
 * 20 ms and 65–77 ms, and every weak l33t password of the strength test scores the same.
 */
export const PASSWORD_STRENGTH_OPTIONS = Object.freeze({ l33tMaxSubstitutions: 10 });

/** Lowest accepted zxcvbn score: 3 = "safely unguessable: moderate protection from offline attacks". */
export const MIN_PASSWORD_SCORE = 3;

/** Characters of a password the strength check scores (see PASSWORD_STRENGTH_OPTIONS). */
export const PASSWORD_STRENGTH_MAX_CHARS = 100;
