/**
 * A local web push service for tests: an HTTPS server (self-signed certificate made by openssl)
 * that accepts RFC 8030 push requests for devices it created, checks the VAPID JWT (RFC 8292,
 * ES256 over the key in the `k=` parameter, audience = this origin), and decrypts each payload
 * per RFC 8291 (aes128gcm) with the device's own P-256 key and auth secret — the browser's side,
 * done by `http_ece`. No external push service is involved.
 */

import { execFileSync } from "node:child_process";
import { createECDH, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
// @ts-expect-error http_ece ships no types
import ece from "http_ece";
import { importJWK, jwtVerify } from "jose";

/** One push the service received, decrypted. */
export type ReceivedPush = {
  device: string;
  topic: string | undefined;
  ttl: string | undefined;
  urgency: string | undefined;
  payload: Record<string, unknown>;
};

/** A browser's subscription, as `PushSubscription.toJSON()` gives it. */
export type DeviceSubscription = { endpoint: string; keys: { p256dh: string; auth: string } };

export type PushEndpoint = {
  /** An agent that trusts this server's certificate (give it to the push sender). */
  agent: Agent;
  /** Creates a device (its own keys) and answers its subscription. */
  device(name: string): DeviceSubscription;
  /** Answers 410 Gone for this device from now on. */
  expire(name: string): void;
  received: ReceivedPush[];
  /** Requests refused (bad JWT, unknown device): should stay empty. */
  refused: string[];
  close(): Promise<void>;
};

const b64u = (buf: Buffer) => buf.toString("base64url");

async function verifyVapid(header: string | undefined, origin: string): Promise<string | null> {
  const match = /^vapid t=([^,]+),\s*k=(.+)$/.exec(header ?? "");
  if (!match) return "no vapid authorization";
  const key = Buffer.from(match[2]!, "base64url");
  if (key.length !== 65 || key[0] !== 4) return "k= is not an uncompressed P-256 key";
  const jwk = { kty: "EC", crv: "P-256", x: b64u(key.subarray(1, 33)), y: b64u(key.subarray(33)) };
  try {
    const { payload } = await jwtVerify(match[1]!, await importJWK(jwk, "ES256"), { audience: origin });
    if (!payload.sub || !/^(mailto:|https:)/.test(payload.sub)) return "bad sub";
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Writes a self-signed certificate for 127.0.0.1 (and its key) as PEM files with openssl. */
export function makeLocalCertificate(keyFile: string, certFile: string, days = 1): void {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      String(days),
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
}

/**
 * Starts the local push service on 127.0.0.1 (a random port), with a fresh certificate or the
 * given one (a server in another process must trust it: NODE_EXTRA_CA_CERTS).
 */
export async function startPushEndpoint(tls?: { key: Buffer; cert: Buffer }): Promise<PushEndpoint> {
  let key: Buffer;
  let cert: Buffer;
  if (tls) {
    ({ key, cert } = tls);
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), "parley-push-"));
    makeLocalCertificate(path.join(dir, "key.pem"), path.join(dir, "cert.pem"));
    key = readFileSync(path.join(dir, "key.pem"));
    cert = readFileSync(path.join(dir, "cert.pem"));
    rmSync(dir, { recursive: true, force: true });
  }

  const devices = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: Buffer; isGone: boolean }>();
  const received: ReceivedPush[] = [];
  const refused: string[] = [];
  let origin = "";
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const name = decodeURIComponent((req.url ?? "").replace(/^\/push\//, ""));
      const device = devices.get(name);
      const problem = device ? await verifyVapid(req.headers.authorization, origin) : "unknown device";
      if (problem || !device) {
        refused.push(`${name}: ${problem}`);
        res.writeHead(problem === "unknown device" ? 404 : 403).end();
        return;
      }
      if (device.isGone) {
        res.writeHead(410).end();
        return;
      }
      try {
        if (req.headers["content-encoding"] !== "aes128gcm") throw new Error("not aes128gcm");
        const plain: Buffer = ece.decrypt(Buffer.concat(chunks), {
          version: "aes128gcm",
          privateKey: device.ecdh,
          authSecret: b64u(device.auth),
        });
        received.push({
          device: name,
          topic: req.headers.topic as string | undefined,
          ttl: req.headers.ttl as string | undefined,
          urgency: req.headers.urgency as string | undefined,
          payload: JSON.parse(plain.toString("utf8")) as Record<string, unknown>,
        });
        res.writeHead(201).end();
      } catch (err) {
        refused.push(`${name}: ${(err as Error).message}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ ca: cert, keepAlive: false });
  return {
    agent,
    received,
    refused,
    device(name) {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const auth = randomBytes(16);
      devices.set(name, { ecdh, auth, isGone: false });
      return {
        endpoint: `${origin}/push/${encodeURIComponent(name)}`,
        keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) },
      };
    },
    expire(name) {
      const device = devices.get(name);
      if (device) device.isGone = true;
    },
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
