/**
 * Sending one web push message (RFC 8030, payload encrypted per RFC 8291 aes128gcm, signed with
 * VAPID per RFC 8292) through the `web-push` package. The `Topic` header makes the push service
 * keep only the newest undelivered message per conversation, so a burst collapses into one and a
 * "clear" replaces a notification not yet delivered.
 */
import type { Agent } from "node:https";
import webpush from "web-push";
import type { TVapidDetails } from "./push-subscriptions.ts";

/** One subscription, as stored. */
export type TPushTarget = { endpoint: string; p256dh: string; auth: string };

/** What a send came to: delivered to the push service, the subscription is gone (404/410), or failed. */
export type TPushOutcome = "sent" | "gone" | "failed";

/** Sends `payload` (JSON text) to one subscription under `topic` (≤ 32 base64url characters). */
export type TPushSender = (target: TPushTarget, payload: string, topic: string) => Promise<TPushOutcome>;

/** Options of `createWebPushSender`. */
export type TWebPushSenderOptions = {
  vapid: TVapidDetails;
  /** How long the push service keeps an undelivered message (seconds). */
  ttlSeconds?: number;
  /** HTTPS agent for the push service requests (tests pass one that trusts their local endpoint). */
  agent?: Agent;
  /** Called with the reason of a failed send (not for gone subscriptions). */
  onError?: (err: unknown, endpoint: string) => void;
};

/** A PushSender over `web-push`. */
export function createWebPushSender(options: TWebPushSenderOptions): TPushSender {
  return async (target, payload, topic) => {
    try {
      await webpush.sendNotification(
        { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
        payload,
        {
          vapidDetails: options.vapid,
          TTL: options.ttlSeconds ?? 24 * 3600,
          topic,
          urgency: "high",
          contentEncoding: "aes128gcm",
          timeout: 10_000,
          ...(options.agent ? { agent: options.agent } : {}),
        },
      );
      return "sent";
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404 || status === 410) return "gone";
      options.onError?.(err, target.endpoint);
      return "failed";
    }
  };
}

/** The Topic header of a conversation's notification: its id without dashes (32 hex digits). */
export function pushTopic(conversationId: string): string {
  return conversationId.replaceAll("-", "").slice(0, 32);
}
