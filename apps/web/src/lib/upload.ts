"use client";

/**
 * Uploading attachments from the browser: files.createUpload (membership, size and type checked on
 * the server) → PUT the bytes straight to storage (presigned S3 URL or the signed local route) with
 * progress and cancel → files.completeUpload (the server reads the real type from the bytes and
 * makes the thumbnail). The message that carries the files is sent afterwards with their ids.
 *
 * `useUploads` keeps the tray of one composer: every file's progress and state, cancel/remove, and
 * the ids that are ready to send. Files refused by the limits (`files.limits`) never start.
 */
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useCallback, useEffect, useRef, useState } from "react";
import { useFormats } from "~/i18n/format";
import { useErrorText } from "~/i18n/server-errors";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import type { TRouterOutputs } from "~/trpc/types";

export type TAttachment = TRouterOutputs["files"]["completeUpload"];
type TLimits = TRouterOutputs["files"]["limits"];

/** Extra facts about a voice recording, measured while recording. */
export type TAudioMeta = { durationMs: number; waveform: number[] };

/** Headers a browser sets itself and refuses from scripts. */
const FORBIDDEN_HEADERS = new Set(["content-length", "host", "connection"]);

/** PUTs `body` to a presigned URL, reporting progress (0–1); rejects with AbortError when `signal` aborts. */
export function putWithProgress(
  target: { url: string; method: string; headers: Record<string, string> },
  body: Blob,
  onProgress: (fraction: number) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    for (const [name, value] of Object.entries(target.headers)) {
      if (!FORBIDDEN_HEADERS.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new Error(`The upload was refused (HTTP ${xhr.status})`));
      }
    };
    xhr.onerror = () => reject(new Error("The upload failed: network error"));
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    if (signal.aborted) return reject(new DOMException("Upload cancelled", "AbortError"));
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/** Why a file may not be uploaded (a message key of Uploads.refusal.*, with the limit), or null. */
export type TRefusal = { reason: "empty" } | { reason: "tooLarge"; limit: number } | { reason: "blocked" };

/** Why a file may not be uploaded under these limits, or null when it may. */
export function refusalOf(
  file: { size: number; type: string },
  limits: TLimits | undefined,
): TRefusal | null {
  if (file.size === 0) return { reason: "empty" };
  if (!limits) return null;
  if (file.size > limits.maxUploadBytes) return { reason: "tooLarge", limit: limits.maxUploadBytes };
  const mime = (file.type.split(";")[0] ?? "").trim().toLowerCase();
  if (mime && limits.blockedTypes.includes(mime)) return { reason: "blocked" };
  return null;
}

/** One file in the composer's tray. */
export type TUpload = {
  key: string;
  name: string;
  size: number;
  mime: string;
  /** An object URL of the local file, for image previews while uploading. */
  previewUrl: string | null;
  /** 0–1 of the bytes sent. */
  progress: number;
  status: "uploading" | "processing" | "ready" | "failed";
  error?: string;
  attachment?: TAttachment;
};

/** The attachments tray of one composer (see the file header). */
export function useUploads(conversationId: string) {
  const t = useTranslations("Uploads");
  const errorText = useErrorText();
  const fmt = useFormats();
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const limits = useQuery(trpc.files.limits.queryOptions(undefined, { staleTime: 10 * 60_000 }));
  const [uploads, setUploads] = useState<TUpload[]>([]);
  const controllers = useRef(new Map<string, AbortController>());

  const patch = useCallback((key: string, change: Partial<TUpload>) => {
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));
  }, []);

  const add = useCallback(
    (files: readonly File[], audio?: TAudioMeta) => {
      for (const file of files) {
        const key = crypto.randomUUID();
        const mime = file.type || "application/octet-stream";
        const refused = refusalOf({ size: file.size, type: mime }, limits.data);
        const refusal = refused
          ? refused.reason === "tooLarge"
            ? t("refusal.tooLarge", { limit: fmt.bytes(refused.limit) })
            : t(`refusal.${refused.reason}`)
          : null;
        const previewUrl = refusal || !mime.startsWith("image/") ? null : URL.createObjectURL(file);
        const entry: TUpload = {
          key,
          name: file.name || "file",
          size: file.size,
          mime,
          previewUrl,
          progress: 0,
          status: refusal ? "failed" : "uploading",
          ...(refusal ? { error: refusal } : {}),
        };
        setUploads((list) => [...list, entry]);
        if (refusal) continue;
        const controller = new AbortController();
        controllers.current.set(key, controller);
        void (async () => {
          try {
            const ticket = await trpcClient.files.createUpload.mutate({
              conversationId,
              name: entry.name,
              size: file.size,
              mime,
              ...(audio && mime.startsWith("audio/") ? audio : {}),
            });
            await putWithProgress(
              ticket.upload,
              file,
              (progress) => patch(key, { progress }),
              controller.signal,
            );
            patch(key, { status: "processing", progress: 1 });
            const attachment = await trpcClient.files.completeUpload.mutate({
              attachmentId: ticket.attachmentId,
            });
            if (!controller.signal.aborted) patch(key, { status: "ready", attachment });
          } catch (err) {
            if (controller.signal.aborted) return; // removed from the tray already
            patch(key, { status: "failed", error: errorText(err, t("failed")) });
          } finally {
            controllers.current.delete(key);
          }
        })();
      }
    },
    [conversationId, limits.data, patch, trpcClient, t, fmt, errorText],
  );

  /** Cancels an upload in flight (or drops a finished one from the tray; the server sweeps it). */
  const remove = useCallback((key: string) => {
    controllers.current.get(key)?.abort();
    controllers.current.delete(key);
    setUploads((list) => {
      const gone = list.find((u) => u.key === key);
      if (gone?.previewUrl) URL.revokeObjectURL(gone.previewUrl);
      return list.filter((u) => u.key !== key);
    });
  }, []);

  /** Empties the tray after the message carrying the ready files was handed to the outbox. */
  const clear = useCallback(() => {
    setUploads((list) => {
      for (const u of list) if (u.previewUrl) URL.revokeObjectURL(u.previewUrl);
      return [];
    });
  }, []);

  useEffect(
    () => () => {
      for (const c of controllers.current.values()) c.abort();
    },
    [],
  );

  const ready = uploads.filter((u) => u.status === "ready" && u.attachment);
  return {
    uploads,
    add,
    remove,
    clear,
    /** Ids of the finished uploads, in the order they were added. */
    readyIds: ready.map((u) => u.attachment?.id ?? ""),
    readyAttachments: ready.map((u) => u.attachment as TAttachment),
    /** True while any file is still on its way (sending must wait). */
    isBusy: uploads.some((u) => u.status === "uploading" || u.status === "processing"),
    limits: limits.data,
  };
}
