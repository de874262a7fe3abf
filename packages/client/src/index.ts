/** @parley/client — the realtime client: connection state machine, backoff, watchdog. */
export { backoffDelay, DEFAULT_BACKOFF, type TBackoffOptions } from "./backoff.ts";
export {
  ParleyConnection,
  type TConnectionOptions,
  type TWebSocketConstructor,
  type TWebSocketLike,
} from "./connection.ts";
export { canTransition, type TConnectionState, type TStateChange } from "./state.ts";
