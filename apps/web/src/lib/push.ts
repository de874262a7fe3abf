"use client";

/**
 * Web push in the browser: registers the service worker (`/sw.js`, lib/service-worker.ts), asks for permission (only
 * from a click), subscribes with the server's VAPID key and hands the subscription to the server
 * (`notifications.subscribePush`), so a closed tab still gets DMs and mentions. The server decides
 * what to push (core/notifications); the worker only shows, replaces and clears.
 */
import type { useTRPCClient } from "~/trpc/react";
import { registerServiceWorker } from "./service-worker";

/** True when this browser can do web push at all. */
export function canPush(): boolean {
  return (
    typeof window !== "undefined" &&
    "serviceWorker" in navigator &&
    "PushManager" in window &&
    "Notification" in window
  );
}

/** The VAPID key as the Push API wants it (bytes from base64url). */
export function applicationServerKey(publicKey: string): Uint8Array<ArrayBuffer> {
  const base64 = publicKey
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(publicKey.length / 4) * 4, "=");
  const raw = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

type TClient = ReturnType<typeof useTRPCClient>;

/** This browser's push subscription, if any (without asking for anything). */
export async function currentPushSubscription(): Promise<PushSubscription | null> {
  if (!canPush()) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  return (await registration?.pushManager.getSubscription()) ?? null;
}

/**
 * Turns push on for this browser: permission (call from a click), worker, subscription, server.
 * Answers what happened; "denied" when the user (or browser) said no.
 */
export async function enablePush(client: TClient): Promise<"on" | "denied" | "unsupported"> {
  if (!canPush()) return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return "denied";
  const registration = await registerServiceWorker();
  await navigator.serviceWorker.ready;
  const { publicKey } = await client.notifications.pushKey.query();
  let subscription = await registration.pushManager.getSubscription();
  const key = applicationServerKey(publicKey);
  const current = subscription?.options.applicationServerKey;
  // A subscription made for another key (the server's keys changed) cannot be used: renew it.
  if (subscription && current && new Uint8Array(current).toString() !== key.toString()) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: key,
  });
  const json = subscription.toJSON();
  await client.notifications.subscribePush.mutate({
    endpoint: subscription.endpoint,
    keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
  });
  return "on";
}

/** Turns push off for this browser (the server forgets it, the browser unsubscribes). */
export async function disablePush(client: TClient): Promise<void> {
  const subscription = await currentPushSubscription();
  if (!subscription) return;
  await client.notifications.unsubscribePush.mutate({ endpoint: subscription.endpoint });
  await subscription.unsubscribe();
}
