/**
 * Every action the audit log records, defined once. To add one: add it here (with a line saying
 * when it is written), call `recordAudit` with it where the action happens — in the action's own
 * transaction when it has one — and add a test that the action writes exactly one entry.
 */
import { z } from "zod";

export const AUDIT_ACTIONS = [
  /** A sign-in succeeded (a session was opened): password, or single sign-on (`details.method = "sso"`). */
  "auth.sign_in",
  /** A sign-in failed: unknown e-mail, wrong password, deactivated user, SSO-only, or an SSO refusal (`details.reason`). */
  "auth.sign_in_failed",
  /** Too many failed sign-ins: an account (e-mail) or a client address is locked for a while. */
  "auth.lockout",
  /** A browser signed out (its session ended). */
  "auth.sign_out",
  /** An existing account was linked to an identity at the OpenID provider (issuer + subject; a verified e-mail). */
  "auth.sso_linked",
  /** An account was created by sign-up (open, with an invite link, or at a first SSO sign-in: `details.via`). */
  "auth.signed_up",
  /** A personal access token was created or revoked by its owner. */
  "token.created",
  "token.revoked",
  /** An admin made a bot (a user that acts only through bot tokens). */
  "bot.created",
  /** An admin made or revoked a bot's token (its name, prefix and scope; never the secret). */
  "bot.token_created",
  "bot.token_revoked",
  /** An admin made or revoked an incoming webhook (its name and channel; never the secret). */
  "hook.created",
  "hook.revoked",
  /** An admin made or deleted a slash command (its name and callback URL; never the signing secret). */
  "command.created",
  "command.deleted",
  /** A user revoked one of their sessions, or all others. */
  "session.revoked",
  /** An admin deactivated or reactivated a user. */
  "user.deactivated",
  "user.reactivated",
  /** An admin changed someone's workspace role (`details.before`/`after`). */
  "user.role_changed",
  /** An admin changed someone's profile fields (`details.before`/`after`: the changed fields only). */
  "user.profile_updated",
  /** An admin set or removed someone's avatar (`details.removed` when removed). */
  "user.avatar_changed",
  /** The owner handed ownership to someone (target), becoming an admin. */
  "workspace.ownership_transferred",
  /** An admin made a password reset link for someone (never the link). */
  "user.password_reset_created",
  /** Someone set a new password with a reset link (their sessions ended). */
  "auth.password_reset",
  /** First-run setup created the workspace and its owner. */
  "workspace.created",
  /** Workspace settings changed: `details.before`/`details.after` hold the changed fields only. */
  "workspace.updated",
  /** Sign-up mode changed (open / invite_only / domains): `details.before`, `details.after`. */
  "workspace.signup_mode_changed",
  /** An admin turned SSO-only on or off (password sign-in and sign-up refused while on): before, after. */
  "workspace.sso_only_changed",
  /** The allowed sign-up domains changed: `details` before, after, added, removed. */
  "workspace.signup_domains_changed",
  /** An invite link was made (never the link itself; `details.email` for an e-mail invite). */
  "invite.created",
  /** An invite was revoked (by an admin or the member who made it). */
  "invite.revoked",
  /** A sign-up used an invite (a security event; the actor is the new account). */
  "invite.redeemed",
  /** A channel was archived or unarchived (by its owner or a workspace admin). */
  "channel.archived",
  "channel.unarchived",
  /** A channel's owner or a workspace admin renamed it (details: before, after, asWorkspaceAdmin). */
  "channel.renamed",
  /** A channel's owner or a workspace admin removed someone from it (details: userId, asWorkspaceAdmin; leaving is not recorded). */
  "channel.member_removed",
  /** An admin made a public channel a default channel (people who sign up join it), or not. */
  "channel.default_changed",
  /** An admin changed message retention: the workspace's default or a channel's override (before/after). */
  "retention.updated",
  /** A pass of the message retention job removed messages (details: the counts). */
  "retention.ran",
  /** An admin converted a channel public → private or back (details: from, to). */
  "channel.converted",
  /** An admin deleted a channel with its history (details: kind and counts, never content). */
  "channel.deleted",
  /** An admin gave a channel a new owner (details: ownerId; previous owners of public ones). */
  "channel.owner_changed",
  /** An admin deleted someone else's message (never the body). */
  "message.deleted_by_admin",
  /** A custom emoji was added (by a member, or an admin when restricted) or deleted (its creator or an admin). */
  "emoji.created",
  "emoji.deleted",
  /** An admin created, changed (details: the changed fields; members added/removed) or deleted a user group. */
  "user_group.created",
  "user_group.updated",
  "user_group.deleted",
  /** Someone asked for a data export: the owner of the workspace, or a user of their own data (details: exportId, scope). */
  "export.requested",
  /** Someone got a download link for a finished export (details: exportId, scope). */
  "export.downloaded",
  /** An admin started a Slack import (details: importId, fileName). */
  "slack_import.started",
  /** A Slack import finished (details: importId and counts, never content) or failed (details: the reason). */
  "slack_import.finished",
  "slack_import.failed",
  /** An admin downloaded the audit log as CSV. */
  "audit.exported",
  /** The retention job removed entries older than the workspace's audit retention. */
  "audit.pruned",
  /** `npm run backup` wrote an archive (details: file name, tables, rows, objects; no actor). */
  "backup.created",
  /** `npm run restore` loaded an archive into this install (details: its date and version). */
  "backup.restored",
] as const;

/** One audit action name. */
export type TAuditAction = (typeof AUDIT_ACTIONS)[number];

/** An audit action, validated (filters). */
export const ZAuditAction = z.enum(AUDIT_ACTIONS);

/** What an entry names as its target. */
export type TAuditTargetType =
  | "user"
  | "account"
  | "address"
  | "token"
  | "bot"
  | "session"
  | "workspace"
  | "invite"
  | "channel"
  | "message"
  | "emoji"
  | "user_group"
  | "audit";
