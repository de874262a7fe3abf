/**
 * Input schemas for every core service; tRPC reuses them so one definition decides what is valid.
 * A send's is @parley/protocol's `ZSendFields` (shared with the wire and the client SDK) plus
 * core's trimming and configured length. `Z…` are the schemas, `T…` their parsed (output) types.
 * Every string a client sends starts from @parley/protocol's `zText()` (or `zLine()` for one-line
 * fields), which refuses NUL, other control characters and lone surrogates; text-fields.test.ts
 * fails for a bare `z.string()`.
 */
import { MAX_STATUS_TEXT_LENGTH, ZSendFields, zId, zLine, zText } from "@parley/protocol";
import { z } from "zod";
import { errorTemplate } from "./errors.ts";
import { getLimits } from "./limits.ts";
import { checkPasswordStrength } from "./password-strength.ts";

/** A MIME type as a browser reports it (`File.type`), lower-cased, parameters dropped. */
export const ZMimeType = zText()
  .trim()
  .toLowerCase()
  .transform((v) => v.split(";")[0]?.trim() ?? "")
  .pipe(
    z
      .string()
      .max(127)
      .regex(
        /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/,
        errorTemplate("must be a MIME type like image/png"),
      ),
  );

/** Any id column (all ids are UUIDs). */
export const ZId = zId();

/** Slack-like channel name: trimmed, lower-cased, an optional leading `#` dropped, then [a-z0-9-_]{1,80}. */
export const ZChannelName = zText()
  .trim()
  .toLowerCase()
  .transform((s) => (s.startsWith("#") ? s.slice(1) : s))
  .pipe(
    z
      .string()
      .min(1, errorTemplate("channel name is required"))
      .max(80, errorTemplate("channel name is at most 80 characters"))
      .regex(/^[a-z0-9_-]+$/, errorTemplate("channel names use only lower-case letters, digits, - and _")),
  );

/** Channel topic (Slack's limit). */
export const ZTopic = zLine().trim().max(250, errorTemplate("topic is at most 250 characters"));

/** A person's display name. */
export const ZPersonName = zLine()
  .trim()
  .min(1, errorTemplate("name is required"))
  .max(80, errorTemplate("name is at most 80 characters"));

/** E-mail address, always lower-cased. */
export const ZEmail = zText()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: errorTemplate("must be an e-mail address") }));

/**
 * Password policy: long enough to matter, short enough to bound hashing cost, and not easy to
 * guess (zxcvbn score ≥ 3, refused with zxcvbn's feedback; see password-strength.ts).
 */
export const ZPassword = zText()
  .min(8, errorTemplate("password must be at least 8 characters"))
  .max(256, errorTemplate("password is at most 256 characters"))
  .check((ctx) => {
    if (ctx.value.length < 8 || ctx.value.length > 256) return;
    const verdict = checkPasswordStrength(ctx.value);
    if (!verdict.ok) ctx.issues.push({ code: "custom", input: ctx.value, message: verdict.message });
  });

/** Rejects a body longer than MAX_MESSAGE_LENGTH (read at parse time, so tests and apps can change it). */
function checkMessageLength(ctx: z.core.ParsePayload<string>): void {
  const max = getLimits().maxMessageLength;
  if (ctx.value.length > max) {
    ctx.issues.push({
      code: "too_big",
      origin: "string",
      maximum: max,
      inclusive: true,
      input: ctx.value,
      message: `message is longer than ${max} characters`,
    });
  }
}

/** Message body: trimmed, 1..MAX_MESSAGE_LENGTH characters (limit read at parse time). */
export const ZMessageBody = zText()
  .trim()
  .min(1, errorTemplate("message is empty"))
  .check(checkMessageLength);

export const ZSetupWorkspace = z.object({
  workspaceName: zLine().trim().min(1, errorTemplate("workspace name is required")).max(80),
  name: ZPersonName,
  email: ZEmail,
  password: ZPassword,
});
export type TSetupWorkspace = z.output<typeof ZSetupWorkspace>;

/** Longest audit retention a workspace may set (100 years; 0 = forever). */
export const MAX_AUDIT_RETENTION_DAYS = 36_500;

export const ZUpdateWorkspace = z.object({
  name: zLine().trim().min(1).max(80).optional(),
  allowOpenSignup: z.boolean().optional(),
  /** Keep audit entries this many days; 0 = forever. */
  auditRetentionDays: z
    .number()
    .int(errorTemplate("must be a whole number of days"))
    .min(0, errorTemplate("must be 0 (forever) or more"))
    .max(MAX_AUDIT_RETENTION_DAYS, `must be at most ${MAX_AUDIT_RETENTION_DAYS} days`)
    .optional(),
});
export type TUpdateWorkspace = z.output<typeof ZUpdateWorkspace>;

/** Smallest upload limit a workspace may set (1 KiB). */
export const MIN_WORKSPACE_UPLOAD_BYTES = 1024;
/** Most blocked types a workspace may list. */
export const MAX_BLOCKED_UPLOAD_TYPES = 500;

/** A blocked type: a bare MIME type (no parameters, no wildcards), lower-cased. */
const ZBlockedType = zText()
  .trim()
  .toLowerCase()
  .pipe(
    z
      .string()
      .max(127)
      .regex(
        /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/,
        errorTemplate("must be a MIME type like application/x-msdownload"),
      ),
  );

/**
 * A workspace's upload limits (admins). Each field: a value overrides the server's setting,
 * `null` goes back to it, absent leaves it as it is. The ceiling (MAX_UPLOAD_BYTES) is checked by
 * the service, which knows it.
 */
export const ZSetUploadLimits = z
  .object({
    maxUploadBytes: z
      .number()
      .int(errorTemplate("must be a whole number of bytes"))
      .min(MIN_WORKSPACE_UPLOAD_BYTES, errorTemplate("must be at least 1 KiB (1024 bytes)"))
      .max(Number.MAX_SAFE_INTEGER)
      .nullable()
      .optional(),
    blockedTypes: z
      .array(ZBlockedType)
      .max(MAX_BLOCKED_UPLOAD_TYPES, `at most ${MAX_BLOCKED_UPLOAD_TYPES} types`)
      .refine((types) => new Set(types).size === types.length, errorTemplate("lists the same type twice"))
      .nullable()
      .optional(),
  })
  .refine((d) => d.maxUploadBytes !== undefined || d.blockedTypes !== undefined, {
    message: errorTemplate("Give maxUploadBytes, blockedTypes or both"),
  });
export type TSetUploadLimits = z.output<typeof ZSetUploadLimits>;

/** Highest member threshold a broadcast policy may name. */
export const MAX_BROADCAST_THRESHOLD = 100_000;

/**
 * The workspace's broadcast policy: who may use @channel, @here and @everyone (`everyone`, or
 * `admins` = workspace owners and admins) in channels with more than `threshold` members (0 = all).
 */
export const ZSetBroadcastPolicy = z.strictObject({
  policy: z.enum(["everyone", "admins"]),
  threshold: z
    .number()
    .int(errorTemplate("must be a whole number of members"))
    .min(0, errorTemplate("must be 0 or more (0 = every channel)"))
    .max(MAX_BROADCAST_THRESHOLD, `must be at most ${MAX_BROADCAST_THRESHOLD.toLocaleString("en")}`),
});
export type TSetBroadcastPolicy = z.output<typeof ZSetBroadcastPolicy>;

export const ZSignUp = z.object({
  name: ZPersonName,
  email: ZEmail,
  password: ZPassword,
  inviteToken: zText().min(1).max(200).optional(),
});
export type TSignUp = z.output<typeof ZSignUp>;

export const ZCreateInvite = z.object({
  maxUses: z.number().int().min(1).max(1000).default(1),
  expiresInDays: z.number().int().min(1).max(365).default(7),
  /** An e-mail invite (admins): only this address may redeem it; e-mailed when SMTP is set up. */
  email: ZEmail.optional(),
});
export type TCreateInvite = z.output<typeof ZCreateInvite>;

/** An invite link's secret, as the sign-up page checks it. */
export const ZInviteToken = z.object({ token: zText().min(1).max(200) });

/** Who may sign up without an invite (see Workspace.signupMode). */
export const ZSignupMode = z.enum(["open", "invite_only", "domains"]);
export type TSignupMode = z.output<typeof ZSignupMode>;

/** Most domains an allowed-domains list may hold. */
export const MAX_SIGNUP_DOMAINS = 50;

/**
 * One allowed sign-up domain: lower-cased, a leading "@" dropped, DNS labels (letters, digits,
 * inner hyphens; punycode for others) with a dot. Matched exactly against the part after an
 * address's "@" — no subdomains, no suffix matching.
 */
export const ZSignupDomain = zText()
  .trim()
  .toLowerCase()
  .transform((d) => d.replace(/^@/, ""))
  .pipe(
    z
      .string()
      .max(253, errorTemplate("must be at most 253 characters"))
      .regex(
        /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/,
        errorTemplate("must be a domain such as example.com"),
      ),
  );

/** The sign-up mode and (optionally) a new allowed-domains list, set together (admins). */
export const ZSetSignupPolicy = z.strictObject({
  mode: ZSignupMode,
  domains: z
    .array(ZSignupDomain)
    .max(MAX_SIGNUP_DOMAINS, `must be at most ${MAX_SIGNUP_DOMAINS} domains`)
    .transform((list) => [...new Set(list)])
    .optional(),
});
export type TSetSignupPolicy = z.output<typeof ZSetSignupPolicy>;

export const ZCredentials = z.object({
  email: ZEmail,
  password: z.string().min(1).max(256),
  userAgent: z.string().max(512).optional(),
  ip: z.string().max(64).optional(),
});
export type TCredentials = z.output<typeof ZCredentials>;

export const ZCreateAccessToken = z.object({
  name: zLine().trim().min(1, errorTemplate("token name is required")).max(80),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type TCreateAccessToken = z.output<typeof ZCreateAccessToken>;

export const ZById = z.object({ id: ZId });
export const ZUserRef = z.object({ userId: ZId });
export const ZConversationRef = z.object({ conversationId: ZId });

export const ZCreateChannel = z.object({
  name: ZChannelName,
  isPrivate: z.boolean().default(false),
  topic: ZTopic.optional(),
  memberIds: z.array(ZId).max(1000).optional(),
});
export type TCreateChannel = z.output<typeof ZCreateChannel>;

export const ZRenameChannel = z.object({ conversationId: ZId, name: ZChannelName });

export const ZSetDefaultChannel = z.object({ conversationId: ZId, isDefault: z.boolean() });
export const ZSetTopic = z.object({ conversationId: ZId, topic: ZTopic });
export const ZAddMembers = z.object({ conversationId: ZId, userIds: z.array(ZId).min(1).max(1000) });
export const ZRemoveMember = z.object({ conversationId: ZId, userId: ZId });

/** Largest group DM: the actor plus 8 others (Slack's limit). */
export const MAX_GROUP_DM_OTHERS = 8;

export const ZOpenDm = z.object({
  userIds: z
    .array(ZId)
    .min(1, errorTemplate("pick at least one person"))
    .max(MAX_GROUP_DM_OTHERS + 1),
});
export type TOpenDm = z.output<typeof ZOpenDm>;

export const ZMarkRead = z.object({ conversationId: ZId, seq: z.number().int().min(0) });
export type TMarkRead = z.output<typeof ZMarkRead>;

/**
 * A send, as core takes it: @parley/protocol's `ZSendFields` (the one definition of a valid send,
 * shared with the wire command and the client SDK), with the body trimmed and held to the
 * operator's MAX_MESSAGE_LENGTH (read at parse time). Nothing else is added here: a rule about
 * what a send may contain belongs in ZSendFields, so every entry point refuses it alike.
 */
export const ZSendMessage = ZSendFields.safeExtend({
  body: ZSendFields.shape.body.trim().check(checkMessageLength),
});
export type TSendMessage = z.output<typeof ZSendMessage>;

/** History page size cap. */
export const MAX_HISTORY_LIMIT = 100;

const ZSeq = z.number().int().min(0);
export const ZGetHistory = z
  .object({
    conversationId: ZId,
    before: ZSeq.optional(),
    after: ZSeq.optional(),
    around: ZSeq.optional(),
    limit: z.number().int().min(1).max(MAX_HISTORY_LIMIT).default(50),
  })
  .refine((v) => [v.before, v.after, v.around].filter((x) => x !== undefined).length <= 1, {
    message: errorTemplate("give at most one of before, after, around"),
  });
export type TGetHistory = z.output<typeof ZGetHistory>;

/** A page of a thread: its root and the newest `limit` replies (or those strictly before a seq). */
export const ZGetThread = z
  .object({
    rootId: ZId,
    before: ZSeq.optional(),
    /** Replies strictly after this seq, oldest first (forward paging, as Slack's conversations.replies). */
    after: ZSeq.optional(),
    limit: z.number().int().min(1).max(MAX_HISTORY_LIMIT).default(50),
  })
  .refine((q) => q.before === undefined || q.after === undefined, {
    path: ["after"],
    message: errorTemplate("give before or after, not both"),
  });
export type TGetThread = z.output<typeof ZGetThread>;

/** Pinning or unpinning one message. */
export const ZMessageRef = z.object({ messageId: ZId });
export type TMessageRef = z.output<typeof ZMessageRef>;

/** Muting (or unmuting) a conversation for the actor. */
export const ZSetMuted = z.object({ conversationId: ZId, muted: z.boolean() });
export type TSetMuted = z.output<typeof ZSetMuted>;

/** An edit replaces the whole body; it may not be empty (delete the message instead). */
export const ZEditMessage = z.object({ messageId: ZId, body: ZMessageBody });
export type TEditMessage = z.output<typeof ZEditMessage>;

/** Longest emoji grapheme accepted, in UTF-16 code units (family/flag sequences fit). */
export const MAX_EMOJI_LENGTH = 16;

const SHORTCODE = /^:[a-z0-9_+-]{1,64}:$/;
const EMOJI_CHAR = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** True for a `:shortcode:` or exactly one emoji grapheme (at most MAX_EMOJI_LENGTH code units). */
export function isValidEmoji(value: string): boolean {
  if (SHORTCODE.test(value)) return true;
  if (value.length === 0 || value.length > MAX_EMOJI_LENGTH || !EMOJI_CHAR.test(value)) return false;
  let count = 0;
  for (const _ of graphemes.segment(value)) {
    count += 1;
    if (count > 1) return false;
  }
  return count === 1;
}

/** A reaction: a `:shortcode:` of [a-z0-9_+-]{1,64}, or a single emoji grapheme. */
export const ZEmoji = zText()
  .trim()
  .refine(isValidEmoji, { message: errorTemplate("emoji must be one emoji or a :shortcode:") });

/** Adding or removing one reaction of the actor's. */
export const ZReaction = z.object({ messageId: ZId, emoji: ZEmoji });
export type TReaction = z.output<typeof ZReaction>;

/** Longest custom status emoji, in UTF-16 code units (as for reactions). */
export const MAX_STATUS_EMOJI_LENGTH = MAX_EMOJI_LENGTH;

/**
 * A custom status: one emoji (or a :shortcode:) of at most MAX_STATUS_EMOJI_LENGTH code units and
 * a text of at most MAX_STATUS_TEXT_LENGTH; "" clears either.
 */
export const ZSetStatus = z.object({
  emoji: zText()
    .trim()
    .max(MAX_STATUS_EMOJI_LENGTH, `status emoji is at most ${MAX_STATUS_EMOJI_LENGTH} characters`)
    .refine((v) => v === "" || isValidEmoji(v), {
      message: errorTemplate("status emoji must be one emoji or a :shortcode:"),
    }),
  text: zLine()
    .trim()
    .max(MAX_STATUS_TEXT_LENGTH, `status text is at most ${MAX_STATUS_TEXT_LENGTH} characters`),
});
export type TSetStatus = z.output<typeof ZSetStatus>;
