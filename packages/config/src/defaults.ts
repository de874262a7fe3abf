/**
 * Defaults of the settings other packages also need (core's limits, fan-out, group commit, the
 * gateway's rate limits): defined here only, imported there through @parley/config. Wire hard
 * limits (MAX_BODY_LENGTH, …) live in @parley/protocol.
 */
/** Longest message body unless MAX_MESSAGE_LENGTH says otherwise (its ceiling is protocol's MAX_BODY_LENGTH). */
export const DEFAULT_MAX_MESSAGE_LENGTH = 40_000;

/** Members above which a conversation is fanned out on read, unless LARGE_CHANNEL_THRESHOLD says otherwise. */
export const DEFAULT_LARGE_CHANNEL_THRESHOLD = 200;

/** Group commit: most sends per statement, unless SEND_BATCH_MAX says otherwise. */
export const DEFAULT_SEND_BATCH_MAX = 256;

/**
 * Group commit: batches at once, unless SEND_BATCH_IN_FLIGHT says otherwise. The second starts only
 * beside a batch that has run for a while (core's DEFAULT_OVERLAP_AFTER_MS): under load one batch
 * at a time is cheaper and faster, and the second lane keeps a batch stuck on a lock from holding
 * up every other conversation.
 */
export const DEFAULT_SEND_BATCH_IN_FLIGHT = 2;

/**
 * Realtime rate limits (token buckets, packages/gateway): commands per connection per second
 * (burst 3× that) and messages per user per second over all their connections on a gateway
 * (burst 2× that). Far above typing speed, far below a token spraying from many sockets.
 */
export const DEFAULT_RATE_LIMIT_COMMANDS_PER_SECOND = 20;
export const DEFAULT_RATE_LIMIT_MESSAGES_PER_SECOND = 30;

/** Group commit's gather wait (SEND_BATCH_GATHER_MS): off, see docs/performance.md, eleventh round. */
export const DEFAULT_SEND_BATCH_GATHER_MS = 0;
/** The size of a batch from which the next one gathers (SEND_BATCH_GATHER_MS). */
export const SEND_BATCH_GATHER_AFTER = 8;

/** A link preview's whole fetch (every redirect) ends after this, unless LINK_PREVIEW_TIMEOUT_MS says otherwise. */
export const DEFAULT_LINK_PREVIEW_TIMEOUT_MS = 5_000;

/** Most bytes of a page a link preview reads, unless LINK_PREVIEW_MAX_BYTES says otherwise: 512 KiB. */
export const DEFAULT_LINK_PREVIEW_MAX_BYTES = 512 * 1024;

/** Largest attachment unless MAX_UPLOAD_BYTES says otherwise: 100 MiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

/** Minutes an upload may stay unattached before it is swept, unless PENDING_UPLOAD_TTL_MINUTES says otherwise. */
export const DEFAULT_PENDING_UPLOAD_TTL_MINUTES = 60;

/** Executable and script types refused as attachments unless UPLOAD_BLOCKED_TYPES says otherwise. */
export const DEFAULT_UPLOAD_BLOCKED_TYPES: readonly string[] = [
  "application/x-msdownload",
  "application/x-msdos-program",
  "application/x-ms-installer",
  "application/x-msi",
  "application/vnd.microsoft.portable-executable",
  "application/x-dosexec",
  "application/x-executable",
  "application/x-elf",
  "application/x-sharedlib",
  "application/x-mach-binary",
  "application/x-apple-diskimage",
  "application/vnd.android.package-archive",
  "application/java-archive",
  "application/x-sh",
  "application/x-shellscript",
  "application/x-csh",
  "application/x-bat",
  "application/x-msbatch",
  "application/x-powershell",
  "application/hta",
  "application/x-ms-shortcut",
  "text/vbscript",
  "application/javascript",
  "text/javascript",
];
