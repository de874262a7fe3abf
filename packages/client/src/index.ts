/** @parley/client — the realtime client: ParleyClient (delivery, resume, outbox) over ParleyConnection. */
export { backoffDelay, DEFAULT_BACKOFF, type TBackoffOptions } from "./backoff.ts";
export {
  ParleyClient,
  ParleySendError,
  ParleySendInputError,
  SEND_ERROR_POLICY,
  sendErrorPolicy,
  type TClientEvents,
  type TClientOptions,
  type TClientStats,
  type TOutboxEntry,
  type TOutboxStatus,
  type TSendFailure,
  type TSendOptions,
  type TSendResult,
} from "./client.ts";
export {
  ParleyConnection,
  type TConnectionOptions,
  type TWebSocketConstructor,
  type TWebSocketLike,
} from "./connection.ts";
export { Emitter, type TEventMap, type TListener } from "./emitter.ts";
export { SeqLog } from "./seq-log.ts";
export { canTransition, type TConnectionState, type TStateChange } from "./state.ts";
export {
  localStorageStore,
  memoryCursorStore,
  memoryOutboxStore,
  type TCursorSnapshot,
  type TCursorStore,
  type TOutboxStore,
  type TStorageLike,
  type TStoredOutboxEntry,
} from "./stores.ts";
