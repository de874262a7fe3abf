import { describe, expect, it } from "vitest";
import { refusalOf } from "~/lib/upload";
import { formatDuration, previewSize } from "./attachments";
import { toWaveform } from "./voice-recorder";

describe("previewSize", () => {
  it("keeps the aspect ratio and caps the longer side at 360", () => {
    expect(previewSize(2000, 1000)).toEqual({ width: 360, height: 180 });
    expect(previewSize(1000, 3000)).toEqual({ width: 120, height: 360 });
  });
  it("never enlarges small images and never reaches zero", () => {
    expect(previewSize(80, 40)).toEqual({ width: 80, height: 40 });
    expect(previewSize(10_000, 1)).toEqual({ width: 360, height: 1 });
  });
});

describe("formatDuration", () => {
  it("formats seconds, minutes and hours", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(7_400)).toBe("0:07");
    expect(formatDuration(750_000)).toBe("12:30");
    expect(formatDuration(3_723_000)).toBe("1:02:03");
    expect(formatDuration(-5)).toBe("0:00");
  });
});

describe("toWaveform", () => {
  it("reduces peaks to at most 48 levels scaled so the loudest is 255", () => {
    const peaks = Array.from({ length: 480 }, (_, i) => (i % 10) / 20);
    const wave = toWaveform(peaks);
    expect(wave).toHaveLength(48);
    expect(Math.max(...wave)).toBe(255);
    expect(wave.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
  });
  it("keeps short recordings point for point and silence at zero", () => {
    expect(toWaveform([0.1, 0.2])).toEqual([128, 255]);
    expect(toWaveform([])).toEqual([]);
    expect(toWaveform([0, 0, 0])).toEqual([0, 0, 0]);
  });
});

describe("refusalOf", () => {
  const limits = { maxUploadBytes: 1000, blockedTypes: ["application/x-msdownload"] };
  it("refuses empty, over-limit and blocked files before any upload", () => {
    expect(refusalOf({ size: 0, type: "text/plain" }, limits)).toEqual({ reason: "empty" });
    expect(refusalOf({ size: 1001, type: "text/plain" }, limits)).toEqual({
      reason: "tooLarge",
      limit: 1000,
    });
    expect(refusalOf({ size: 10, type: "application/x-msdownload" }, limits)).toEqual({ reason: "blocked" });
  });
  it("accepts the rest (and defers to the server when limits are not loaded yet)", () => {
    expect(refusalOf({ size: 1000, type: "image/png" }, limits)).toBeNull();
    expect(refusalOf({ size: 10, type: "audio/webm;codecs=opus" }, limits)).toBeNull();
    expect(refusalOf({ size: 10 ** 12, type: "" }, undefined)).toBeNull();
  });
});
