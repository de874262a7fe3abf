/**
 * @parley/core — Parley's domain services, free of any transport. Every service has the shape
 * `fn(db, actor, input)`, validates `input` with the exported zod schemas (BAD_REQUEST, nothing
 * written), enforces permissions (ParleyError), persists, then publishes to the EventSink.
 */
export * from "./access.ts";
export * from "./actor.ts";
export * from "./audit/actions.ts";
export * from "./audit/csv.ts";
export * from "./audit/list.ts";
export * from "./audit/record.ts";
export * from "./audit/retention.ts";
export * from "./auth.ts";
export * from "./bots/index.ts";
export * from "./client-address.ts";
export * from "./connect-state.ts";
export * from "./conversation-routes.ts";
export * from "./conversations.ts";
export * from "./delivery-reads.ts";
export * from "./emoji/custom.ts";
export { createEngine, type TCreateEngineOptions } from "./engine/index.ts";
export type { TEngineLogger } from "./engine/logger.ts";
export { MemoryEngine, MemoryHub, mergePresence, type TMemoryEngineOptions } from "./engine/memory.ts";
export { RedisEngine, type TRedisEngineOptions } from "./engine/redis.ts";
export type {
  TBusHeader,
  TBusMessage,
  TEngine,
  TOnlineStatus,
  TPresenceEntry,
  TUnsubscribe,
  TUserPresence,
} from "./engine/types.ts";
export * from "./errors.ts";
export * from "./events.ts";
export { createFanout, type TFanout, type TFanoutOptions } from "./fanout.ts";
// The storage singleton without sharp (files.ts re-exports it too): the previewer's images.
export { getStorage } from "./files/storage.ts";
export * from "./guests.ts";
export * from "./health.ts";
export * from "./hooks/index.ts";
export { isUuid, randomSecret, sha256, uuidv7 } from "./ids.ts";
export * from "./joining/invites.ts";
export * from "./joining/policy.ts";
export * from "./limits.ts";
export * from "./logging.ts";
export * from "./messages/edit.ts";
export * from "./messages/pins.ts";
export * from "./messages/reactions.ts";
export * from "./messages/read.ts";
export * from "./messages/send.ts";
export * from "./messages/windows.ts";
export * from "./messages.ts";
export { metrics, type TMetricCounts, type TMetrics } from "./metrics.ts";
export * from "./notifications/email.ts";
export * from "./notifications/mark-all-read.ts";
export * from "./notifications/notifier.ts";
export * from "./notifications/prefs.ts";
export * from "./notifications/push-delivery.ts";
export * from "./notifications/push-sender.ts";
export * from "./notifications/push-subscriptions.ts";
export * from "./notifications/should-notify.ts";
export * from "./ops-stats.ts";
export * from "./password-resets.ts";
export { checkPasswordStrength, MIN_PASSWORD_SCORE, type TPasswordVerdict } from "./password-strength.ts";
export { hashPassword, verifyPassword } from "./passwords.ts";
export * from "./periodic.ts";
export { classifyAddress, type TAddressVerdict } from "./previews/address.ts";
export { fetchPage, type TPageFetch, type TPageFetchOptions } from "./previews/fetch.ts";
export {
  deletePreviewImages,
  getPreviewImageUrl,
  PREVIEW_IMAGE_URL_TTL_SEC,
  previewImageKey,
  ZPreviewImageRef,
} from "./previews/image-store.ts";
export { extractMetadata, firstUrl, type TPageMetadata } from "./previews/metadata.ts";
export * from "./previews/remove.ts";
export * from "./previews/settings.ts";
export {
  PREVIEW_CACHE_MS,
  previewFor,
  previewRound,
  previewUntilCaughtUp,
  startLinkPreviewer,
  type TPreviewerOptions,
  type TPreviewRound,
  urlHash,
} from "./previews/worker.ts";
export * from "./profile/profile.ts";
export * from "./rate-limits.ts";
export * from "./receipts/index.ts";
export * from "./reminders/due.ts";
export * from "./reminders/fire.ts";
export * from "./reminders/reminders.ts";
export * from "./retention/run.ts";
export * from "./retention/settings.ts";
export * from "./revocation-bus.ts";
export * from "./revocations.ts";
export * from "./roles.ts";
export type { TLaterMessage } from "./saved/later-message.ts";
export * from "./saved/saved.ts";
export * from "./schemas.ts";
export {
  indexSearchRound,
  indexSearchUntilCaughtUp,
  SEARCH_MIN_GAP_MS,
  startSearchIndexer,
  type TIndexRound,
  type TIndexRoundLimits,
} from "./search/indexer.ts";
export * from "./search/names.ts";
export { parseSearchQuery, SEARCH_HAS, type TParsedSearch, type TSearchHas } from "./search/query.ts";
export * from "./search/search.ts";
export * from "./sso/settings.ts";
export * from "./sso/sign-in.ts";
export * from "./sync.ts";
export * from "./tickets.ts";
export * from "./tokens.ts";
export { appendConversationEvent, appendUserEvent, inWriteTx, type TTx, type TWriter } from "./tx.ts";
export * from "./user-groups.ts";
export * from "./user-preferences.ts";
export * from "./users.ts";
export * from "./workspace.ts";
