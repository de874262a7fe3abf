/**
 * The upload URLs files.getUploadURLExternal answers (`POST <base>/<file id>/<secret>`): the bytes
 * of a bot's file, as Slack's upload service takes them — the raw body, or a multipart form whose
 * first file part is the file (any field name: Slack's docs use `filename`, `@slack/web-api`'s
 * `filesUploadV2` sends `body`; other fields are ignored). The bytes stream into storage, never
 * whole in memory (busboy parses forms as they arrive). The URL's secret is the authorization; no
 * token is needed. Answers like Slack's: HTTP 200 `OK - <bytes>`; otherwise a text code —
 * 404 `invalid_upload_url` (unknown, used or expired: one answer), 400 `length_mismatch` (the body
 * is not the length the upload was started with; nothing is kept and the URL may be used again
 * until it expires), 400 `no_file_data`, 405 for anything but POST. All rules are core's
 * (core/src/bots/uploads.ts); apps/web mounts this at /api/slack/upload/<id>/<secret>.
 */
import { Readable } from "node:stream";
import type { ReadableStream as TWebReadableStream } from "node:stream/web";
import { loadEnv, type TEnv } from "@parley/config";
import { isParleyError, processLogger } from "@parley/core";
import { receiveBotUpload } from "@parley/core/bot-uploads";
import { getStorage } from "@parley/core/files";
import type { TDb } from "@parley/db";
import busboy from "busboy";

export type TSlackUploadHandlerOptions = {
  db: TDb;
  /** Settings; defaults to this process's `loadEnv()`. */
  env?: TEnv;
};

function text(body: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** The file's bytes: the first file part of a multipart body, else the body itself; null without one. */
function fileStream(req: Request): Promise<{ file: Readable | null; source: Readable }> {
  const source = req.body
    ? Readable.fromWeb(req.body as unknown as TWebReadableStream<Uint8Array>)
    : Readable.from([]);
  const type = req.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) return Promise.resolve({ file: source, source });
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { "content-type": type }, limits: { fields: 50, fieldSize: 64 * 1024 } });
    } catch {
      resolve({ file: null, source }); // a multipart type without a boundary
      return;
    }
    let isFound = false;
    parser.on("file", (_field, stream) => {
      if (isFound) {
        stream.resume(); // one file per upload URL: the rest is read and dropped
        return;
      }
      isFound = true;
      resolve({ file: stream, source });
    });
    parser.on("close", () => {
      if (!isFound) resolve({ file: null, source });
    });
    parser.on("error", (err: Error) => {
      if (!isFound) reject(err);
      else source.destroy(err);
    });
    source.on("error", (err) => parser.destroy(err));
    source.pipe(parser);
  });
}

/** Builds the upload handler: `(request) => response` for `<base>/<file id>/<secret>`. */
export function createSlackUploadHandler(
  opts: TSlackUploadHandlerOptions,
): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== "POST") return text("method_not_allowed", 405, { allow: "POST" });
    const parts = new URL(req.url).pathname.split("/").filter(Boolean);
    const fileId = decodeURIComponent(parts.at(-2) ?? "");
    const secret = decodeURIComponent(parts.at(-1) ?? "");
    let source: Readable | undefined;
    try {
      const storage = await getStorage(opts.env ?? loadEnv());
      const parsed = await fileStream(req).catch(() => ({ file: null, source: undefined }));
      source = parsed.source;
      if (!parsed.file) return text("no_file_data", 400);
      const { size } = await receiveBotUpload(opts.db, storage, { fileId, secret, body: parsed.file });
      return text(`OK - ${size}`, 200);
    } catch (err) {
      if (isParleyError(err, "NOT_FOUND")) return text("invalid_upload_url", 404);
      if (isParleyError(err, "BAD_REQUEST")) return text("length_mismatch", 400);
      if (req.signal.aborted) return text("aborted", 499);
      processLogger().error({ err }, "a bot's upload failed");
      return text("internal_error", 500);
    } finally {
      // Whatever was not read (a refused upload) is dropped, not left hanging.
      source?.destroy();
    }
  };
}
