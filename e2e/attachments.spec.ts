import { createHash, randomBytes, randomUUID } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import sharp from "sharp";
import { artifact, firstUser, historyOf, newUser, sharedChannel, signUp } from "./fixtures";

// Attachments in the browser: a 5 MB image with upload progress, previewed for the other user in
// a box of the image's aspect ratio, downloaded byte-identical; a recorded voice message (Chromium's
// fake microphone) sent, received and played. The server side has its own tests in packages/core.
test.describe.configure({ mode: "serial" });

const run = randomUUID().slice(0, 8);
const alice = newUser("Alice Files", run);
const bob = newUser("Bob Files", run);
const channel = `files-${run}`;

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

let alicePage: Page;
let bobPage: Page;

test("two users share a channel (setup)", async ({ browser }) => {
  alicePage = (await firstUser(browser, alice)).page;
  bobPage = (await signUp(browser, bob)).page;
  await sharedChannel(alicePage, [bobPage], channel);
});

test("a 5 MB image uploads with progress, previews at its aspect ratio and downloads identical", async () => {
  // Incompressible noise: 1600 × 1100 × 3 bytes ≈ 5.3 MB as PNG.
  const width = 1600;
  const height = 1100;
  const png = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  expect(png.length).toBeGreaterThan(5_000_000);

  // Slow the upload down (2 MB/s) so the progress bar is there to be seen.
  const cdp = await alicePage.context().newCDPSession(alicePage);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 2 * 1024 * 1024,
  });
  await alicePage
    .getByTestId("file-input")
    .setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: png });
  const progress = alicePage.getByRole("progressbar", { name: "Uploading photo.png" });
  await expect(progress).toBeVisible();
  await expect
    .poll(async () => Number(await progress.getAttribute("value").catch(() => "100")))
    .toBeGreaterThan(0);
  await alicePage.screenshot({ path: artifact("attachments-progress.png") });
  const tray = alicePage.getByRole("list", { name: "Files to send" });
  await expect(tray.locator('[data-status="ready"]')).toHaveCount(1, { timeout: 20_000 });
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });

  const composer = alicePage.getByLabel(`Message # ${channel}`);
  await composer.fill("Here is the photo");
  await composer.press("Enter");
  await expect(tray).toHaveCount(0);

  const preview = historyOf(bobPage).getByRole("button", { name: "Open image photo.png" });
  await expect(preview).toBeVisible({ timeout: 5_000 });
  await expect(historyOf(bobPage).getByText("Here is the photo")).toBeVisible();
  const box = await preview.boundingBox();
  expect(box).not.toBeNull();
  expect((box?.width ?? 0) / (box?.height ?? 1)).toBeCloseTo(width / height, 1);
  // The thumbnail (not the original) is what the list loads, and it decoded.
  const img = preview.locator("img");
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0);
  expect(await img.getAttribute("src")).toMatch(/variant=thumbnail$/);
  await bobPage.screenshot({ path: artifact("attachments-image.png") });

  // The lightbox shows the original; its download is byte-identical to what was uploaded.
  await preview.click();
  const lightbox = bobPage.getByRole("dialog", { name: "Image: photo.png" });
  await expect(lightbox).toBeVisible();
  const href = await lightbox.getByRole("link", { name: "Download" }).getAttribute("href");
  expect(href).toMatch(/^\/api\/files\/[0-9a-f-]{36}$/);
  const res = await bobPage.request.get(href ?? "");
  expect(res.status()).toBe(200);
  expect(Buffer.from(await res.body()).equals(png)).toBe(true);
  await bobPage.keyboard.press("Escape");
  await expect(lightbox).toBeHidden();
});

test("a 12 MiB file uploads to local disk through the browser and downloads identical", async () => {
  // Past the 10 MB Next's request proxy would have buffered and cut: the local-disk upload route
  // is outside the proxy (apps/web/src/proxy.ts), so the whole body reaches storage.
  const bytes = randomBytes(12 * 1024 * 1024);
  const put = alicePage.waitForRequest((r) => r.method() === "PUT" && r.url().includes("/big.bin"));
  const stored = alicePage.waitForResponse(
    (r) => r.request().method() === "PUT" && r.url().includes("/big.bin"),
  );
  await alicePage
    .getByTestId("file-input")
    .setInputFiles({ name: "big.bin", mimeType: "application/octet-stream", buffer: bytes });
  // The e2e server stores on local disk (STORAGE_DIR, no S3_*): the bytes go to the app itself.
  const uploadUrl = (await put).url();
  expect(new URL(uploadUrl).pathname).toMatch(/^\/api\/files\/local\//);
  const answer = await stored;
  expect(answer.status()).toBe(200);
  expectStoredFileHeaders(await answer.allHeaders());
  const tray = alicePage.getByRole("list", { name: "Files to send" });
  await expect(tray.locator('[data-status="ready"]')).toHaveCount(1, { timeout: 30_000 });
  const composer = alicePage.getByLabel(`Message # ${channel}`);
  await composer.fill("Here is the big file");
  await composer.press("Enter");
  await expect(tray).toHaveCount(0);

  const message = historyOf(bobPage).locator("article.msg", { hasText: "Here is the big file" });
  const download = message.getByRole("link", { name: "Download big.bin" });
  await expect(download).toBeVisible();
  const res = await bobPage.request.get((await download.getAttribute("href")) ?? "");
  expect(res.status()).toBe(200);
  const body = await res.body();
  expect(body.length).toBe(bytes.length);
  expect(sha256(body)).toBe(sha256(bytes));
  // The stored file is served sandboxed, never as a page of the app.
  expectStoredFileHeaders(res.headers());

  // Outside the proxy the route still refuses what its signature does not grant: a forged
  // signature, or more bytes than were signed (the upload limits are checked before signing).
  const forged = new URL(uploadUrl);
  forged.searchParams.set("sig", "A".repeat(43));
  const headers = { "content-type": "application/octet-stream" };
  const refusedSig = await alicePage.request.put(forged.href, { headers, data: Buffer.from("x") });
  expect(refusedSig.status()).toBe(403);
  expectStoredFileHeaders(refusedSig.headers());
  const tooBig = await alicePage.request.put(uploadUrl, { headers, data: randomBytes(bytes.length + 1) });
  expect(tooBig.status()).toBe(403);
  expect(await tooBig.text()).toContain("signed size");
  // … and what was stored is still the original.
  const again = await bobPage.request.get((await download.getAttribute("href")) ?? "");
  expect(sha256(await again.body())).toBe(sha256(bytes));
});

/** The headers local-disk storage's route sets itself (the request proxy skips it). */
function expectStoredFileHeaders(headers: Record<string, string>) {
  const csp = headers["content-security-policy"] ?? "";
  expect(csp).toMatch(/(^|; )sandbox(;|$)/);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
}

test("a recorded voice message is sent, received and played by the other user", async () => {
  const pressedRecord = Date.now();
  await alicePage.getByRole("button", { name: "Record voice message" }).click();
  const timer = alicePage.getByRole("timer", { name: "Recording time" });
  await expect(timer).toBeVisible();
  await expect(timer).toHaveText("0:02");
  await alicePage.getByRole("button", { name: "Stop recording" }).click();
  // How long it recorded, from outside: at least the 0:02 the timer showed, at most the time
  // between the two clicks (a busy machine clicks Stop late, so this is not a fixed 2–3 s).
  const recordedAtMost = Math.round((Date.now() - pressedRecord) / 1000);
  const tray = alicePage.getByRole("list", { name: "Files to send" });
  await expect(tray.locator('[data-status="ready"]')).toHaveCount(1, { timeout: 15_000 });
  await alicePage.getByRole("button", { name: "Send" }).click();

  const voice = historyOf(bobPage).getByRole("group", { name: /^Voice message, \d+:\d\d$/ });
  await expect(voice).toBeVisible();
  const [, minutes, seconds] = /(\d+):(\d\d)$/.exec((await voice.getAttribute("aria-label")) ?? "") ?? [];
  const shownSeconds = Number(minutes) * 60 + Number(seconds);
  expect(shownSeconds).toBeGreaterThanOrEqual(2);
  expect(shownSeconds).toBeLessThanOrEqual(recordedAtMost);
  await voice.getByRole("button", { name: "Play voice message" }).click();
  const audio = voice.locator("audio");
  await expect
    .poll(() => audio.evaluate((el: HTMLAudioElement) => el.currentTime > 0 || el.ended))
    .toBe(true);
  await bobPage.screenshot({ path: artifact("attachments-voice.png") });
});

/** A small real PNG. */
function smallPng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toBuffer();
}

/** Dispatches a paste or a drop of one file on `selector`, as the browser does for real ones. */
async function deliverFile(
  page: Page,
  selector: string,
  how: "paste" | "drop",
  file: { name: string; type: string; bytes: Buffer },
) {
  await page.evaluate(
    ({ selector, how, name, type, base64 }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name, { type }));
      const target = document.querySelector(selector);
      if (!target) throw new Error(`no ${selector}`);
      if (how === "paste") {
        target.dispatchEvent(
          new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }),
        );
      } else {
        for (const kind of ["dragenter", "dragover", "drop"]) {
          target.dispatchEvent(
            new DragEvent(kind, { dataTransfer: transfer, bubbles: true, cancelable: true }),
          );
        }
      }
    },
    { selector, how, name: file.name, type: file.type, base64: file.bytes.toString("base64") },
  );
}

test("files pasted into the composer and dropped on it upload and send together", async () => {
  const composerSelector = `textarea[placeholder="Message # ${channel}"]`;
  await deliverFile(alicePage, composerSelector, "paste", {
    name: "pasted.png",
    type: "image/png",
    bytes: await smallPng(300, 200),
  });
  await deliverFile(alicePage, "form.composer", "drop", {
    name: "notes.txt",
    type: "text/plain",
    bytes: Buffer.from("dropped notes\n"),
  });
  const tray = alicePage.getByRole("list", { name: "Files to send" });
  await expect(tray.locator('[data-status="ready"]')).toHaveCount(2);
  await alicePage.getByLabel(`Message # ${channel}`).fill("pasted and dropped");
  await alicePage.getByLabel(`Message # ${channel}`).press("Enter");

  const message = historyOf(bobPage).locator("article.msg", { hasText: "pasted and dropped" });
  await expect(message.getByRole("button", { name: "Open image pasted.png" })).toBeVisible({
    timeout: 5_000,
  });
  const download = message.getByRole("link", { name: "Download notes.txt" });
  await expect(download).toBeVisible();
  const res = await bobPage.request.get((await download.getAttribute("href")) ?? "");
  expect(await res.text()).toBe("dropped notes\n");
});

test("cancelling an upload in flight leaves nothing to send", async () => {
  const cdp = await alicePage.context().newCDPSession(alicePage);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 256 * 1024,
  });
  await alicePage.getByTestId("file-input").setInputFiles({
    name: "slow.bin",
    mimeType: "application/octet-stream",
    buffer: randomBytes(2_000_000),
  });
  const tray = alicePage.getByRole("list", { name: "Files to send" });
  await expect(alicePage.getByRole("progressbar", { name: "Uploading slow.bin" })).toBeVisible();
  await alicePage.getByRole("button", { name: "Cancel upload of slow.bin" }).click();
  await expect(tray).toHaveCount(0);
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  // With nothing left in the tray and no text, there is nothing to send.
  await expect(alicePage.getByRole("button", { name: "Send" })).toBeDisabled();
});
