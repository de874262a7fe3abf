/**
 * Web push: the server's VAPID key pair and the browsers (devices) that subscribed.
 *
 * VAPID keys come from VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY when set; otherwise the first process
 * that needs them generates a pair and stores it (VapidKeys, id 1; a concurrent generator loses
 * the insert and reads the winner's), so self-hosters configure nothing and every process — and
 * every restart — signs with the same key, which subscriptions are bound to.
 *
 * A subscription belongs to the user who registered it; an endpoint registered again by someone
 * else (a shared browser after a sign-out) moves to them, since only that browser knows it.
 */
import type { TEnv } from "@parley/config";
import type { TDb } from "@parley/db";
import { zLine } from "@parley/protocol";
import webpush from "web-push";
import { z } from "zod";
import type { TActor } from "../actor.ts";
import { errorTemplate, parseInput } from "../errors.ts";

/** The key pair push requests are signed with, and the contact push services see. */
export type TVapidDetails = { subject: string; publicKey: string; privateKey: string };

/** The stored pair, read once per database client (one per process in the app; tests make many). */
const generated = new WeakMap<TDb, Promise<{ publicKey: string; privateKey: string }>>();

async function storedKeys(db: TDb): Promise<{ publicKey: string; privateKey: string }> {
  const existing = await db.vapidKeys.findUnique({ where: { id: 1 } });
  if (existing) return existing;
  const fresh = webpush.generateVAPIDKeys();
  await db.$executeRaw`
    INSERT INTO "VapidKeys" (id, "publicKey", "privateKey") VALUES (1, ${fresh.publicKey}, ${fresh.privateKey})
    ON CONFLICT (id) DO NOTHING`;
  return db.vapidKeys.findUniqueOrThrow({ where: { id: 1 } });
}

/** The VAPID subject: VAPID_SUBJECT, else PUBLIC_URL when https, else mailto:parley@<host>. */
export function vapidSubject(env: Pick<TEnv, "VAPID_SUBJECT" | "PUBLIC_URL">): string {
  if (env.VAPID_SUBJECT) return env.VAPID_SUBJECT;
  const url = new URL(env.PUBLIC_URL);
  return url.protocol === "https:" ? url.origin : `mailto:parley@${url.hostname}`;
}

/** The VAPID details of this install (see the header); generated keys are cached per client. */
export async function getVapidDetails(
  db: TDb,
  env: Pick<TEnv, "VAPID_PUBLIC_KEY" | "VAPID_PRIVATE_KEY" | "VAPID_SUBJECT" | "PUBLIC_URL">,
): Promise<TVapidDetails> {
  const subject = vapidSubject(env);
  if (env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY) {
    return { subject, publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY };
  }
  let keys = generated.get(db);
  if (!keys) {
    keys = storedKeys(db).catch((err: unknown) => {
      generated.delete(db);
      throw err;
    });
    generated.set(db, keys);
  }
  const { publicKey, privateKey } = await keys;
  return { subject, publicKey, privateKey };
}

const ZBase64Url = (max: number) =>
  zLine()
    .max(max)
    .regex(/^[A-Za-z0-9_-]+=*$/, errorTemplate("must be base64url"));

/** What `PushSubscription.toJSON()` gives in the browser (extra fields are ignored). */
export const ZPushSubscribe = z.object({
  endpoint: zLine()
    .max(2048)
    .pipe(z.url({ protocol: /^https$/, message: errorTemplate("must be an https URL") })),
  keys: z.object({ p256dh: ZBase64Url(200), auth: ZBase64Url(64) }),
});

/** Forget one device's subscription. */
export const ZPushUnsubscribe = z.object({ endpoint: zLine().max(2048) });

/** Registers (or re-registers) this browser for the actor's pushes. */
export async function subscribePush(db: TDb, actor: TActor, input: unknown): Promise<{ ok: true }> {
  const { endpoint, keys } = parseInput(ZPushSubscribe, input);
  const data = {
    userId: actor.userId,
    p256dh: keys.p256dh.replace(/=+$/, ""),
    auth: keys.auth.replace(/=+$/, ""),
  };
  await db.pushSubscription.upsert({ where: { endpoint }, create: { endpoint, ...data }, update: data });
  return { ok: true };
}

/** Removes the actor's subscription for `endpoint` (someone else's is left alone). */
export async function unsubscribePush(db: TDb, actor: TActor, input: unknown): Promise<{ removed: boolean }> {
  const { endpoint } = parseInput(ZPushUnsubscribe, input);
  const { count } = await db.pushSubscription.deleteMany({ where: { endpoint, userId: actor.userId } });
  return { removed: count > 0 };
}
