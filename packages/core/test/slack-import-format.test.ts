/**
 * The Slack import's pure conversions (core/src/slack-import/format.ts, messages.ts
 * `reactionEmoji`, files.ts `indexFiles`) and its zip guard (unsafe paths, not-a-zip), without a
 * database.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { indexFiles } from "../src/slack-import/files.ts";
import {
  channelNameCandidate,
  channelNameFrom,
  cleanLine,
  compareTs,
  convertText,
  tsToDate,
} from "../src/slack-import/format.ts";
import { reactionEmoji } from "../src/slack-import/messages.ts";
import { openZipFile } from "../src/slack-import/zip.ts";
import { unsafeZip, zipFiles } from "./slack-export-fixture.ts";

describe("Slack import conversions", () => {
  it("reads a ts as its millisecond and orders ts numerically, not as text", () => {
    expect(tsToDate("1700000000.123456")).toEqual(new Date(1_700_000_000_123));
    expect(tsToDate("1700000000.123000")).toEqual(new Date(1_700_000_000_123));
    expect(tsToDate("1700000000")).toEqual(new Date(1_700_000_000_000));
    expect(compareTs("999999999.000001", "1000000000.000000")).toBeLessThan(0);
    expect(compareTs("1700000000.5", "1700000000.400000")).toBeGreaterThan(0);
    expect(compareTs("1700000000.000100", "1700000000.000100")).toBe(0);
  });

  it("maps mentions of known users, keeps other tokens and undoes Slack's escapes", () => {
    const ids: Record<string, string> = { U1: "0190-parley-id" };
    expect(
      convertText("hi <@U1> and <@U2|zed> &lt;3 &amp;&amp; <!channel> <#C1|general>", (id) => ids[id]),
    ).toBe("hi <@0190-parley-id> and @zed <3 && <!channel> <#C1|general>");
    expect(convertText("a\u0000b\u0007c\nd", () => undefined)).toBe("abc\nd");
    expect(convertText("lone \uD800 surrogate", () => undefined)).toBe("lone \uFFFD surrogate");
  });

  it("makes Slack channel names valid Parley names, with a fallback and the -slack rule", () => {
    expect(channelNameFrom("café-ñoño", "x")).toBe("cafe-nono");
    expect(channelNameFrom("Team Web!!", "x")).toBe("team-web");
    expect(channelNameFrom("開発", "channel-c0123")).toBe("channel-c0123");
    expect(channelNameCandidate("random", 0)).toBe("random");
    expect(channelNameCandidate("random", 1)).toBe("random-slack");
    expect(channelNameCandidate("random", 2)).toBe("random-slack-2");
    expect(channelNameCandidate("a".repeat(80), 1)).toHaveLength(80);
  });

  it("cleans names to one line", () => {
    expect(cleanLine("  Bøb\nÑandú\t🚀  ")).toBe("Bøb Ñandú 🚀");
    expect([...cleanLine("x".repeat(100))]).toHaveLength(80);
  });

  it("turns reaction names into :shortcodes:, skin tones dropped, odd ones refused", () => {
    expect(reactionEmoji("+1")).toBe(":+1:");
    expect(reactionEmoji("thumbsup::skin-tone-2")).toBe(":thumbsup:");
    expect(reactionEmoji("🎉")).toBe("🎉");
    expect(reactionEmoji("Weird Name")).toBeNull();
  });
});

describe("Slack import files", () => {
  it("finds file bytes by Slack file id in both layouts export tools write, and nothing else", () => {
    const index = indexFiles([
      "users.json",
      "general/2024-01-02.json",
      "__uploads/F02PM6A1AUA/Chevy.jpg",
      "__uploads/F0TWO/b.txt",
      "__uploads/F0TWO/a.txt",
      "general/attachments/F0STD-report final.pdf",
      "__uploads/F0DEEP/x/y.txt",
      "general/F0NOPE-loose.txt",
      "general/attachments/no-id-here",
    ]);
    expect(Object.fromEntries(index)).toEqual({
      F02PM6A1AUA: "__uploads/F02PM6A1AUA/Chevy.jpg",
      F0TWO: "__uploads/F0TWO/a.txt",
      F0STD: "general/attachments/F0STD-report final.pdf",
    });
  });
});

describe("Slack import zip guard", () => {
  it("refuses what is not a zip, and unsafe paths, by name", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "parley-zip-"));
    try {
      await writeFile(path.join(dir, "a.zip"), "not a zip");
      await expect(openZipFile(path.join(dir, "a.zip"))).rejects.toThrow(/not a zip file/);
      for (const unsafe of ["a/../../etc/passwd", "/etc/passwd", "C:/windows/x.json", "a\\..\\b.json"]) {
        await writeFile(path.join(dir, "b.zip"), await unsafeZip(unsafe));
        await expect(openZipFile(path.join(dir, "b.zip"))).rejects.toThrow(/unsafe path/);
      }
      const good = await zipFiles(new Map<string, unknown>([["Export/users.json", []]]));
      await writeFile(path.join(dir, "c.zip"), good);
      const opened = await openZipFile(path.join(dir, "c.zip"));
      expect(opened.names).toEqual(["users.json"]);
      expect(await opened.readJson("users.json")).toEqual([]);
      await opened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
