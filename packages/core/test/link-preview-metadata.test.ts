/** What a link preview reads from a page (previews/metadata.ts) and which URL of a message it previews. */
import { describe, expect, it } from "vitest";
import { extractMetadata, firstUrl, METADATA_LIMITS } from "../src/previews/metadata.ts";

const PAGE = "https://example.com/articles/1";

describe("link preview metadata", () => {
  it("prefers OpenGraph, then Twitter cards, then <title> and the description meta", () => {
    const html = `<html><head>
      <title>Plain title</title>
      <meta name="description" content="Plain description">
      <meta name="twitter:title" content="Twitter title">
      <meta property="og:title" content="OG &amp; title">
      <meta property="og:image" content="/img/cover.png">
      <meta property="og:site_name" content="Example">
    </head><body><meta property="og:description" content="in the body: ignored"></body></html>`;
    expect(extractMetadata(html, PAGE)).toEqual({
      title: "OG & title",
      description: "Plain description",
      imageUrl: "https://example.com/img/cover.png",
      siteName: "Example",
    });
  });

  it("falls back to Twitter cards and <title>", () => {
    const twitter = `<head><title>T</title><meta name="twitter:description" content="Tw desc">
      <meta name="twitter:image" content="https://cdn.example.com/a.jpg"></head>`;
    expect(extractMetadata(twitter, PAGE)).toEqual({
      title: "T",
      description: "Tw desc",
      imageUrl: "https://cdn.example.com/a.jpg",
      siteName: null,
    });
    expect(extractMetadata("<title>\n  Only   a\ttitle </title>", PAGE).title).toBe("Only a title");
  });

  it("keeps markup as text, drops unsafe image URLs and cuts long text", () => {
    const html = `<head><meta property="og:title" content="<script>alert(1)</script>">
      <meta property="og:image" content="javascript:alert(1)">
      <meta property="og:description" content="${"x".repeat(1_000)}"></head>`;
    const meta = extractMetadata(html, PAGE);
    expect(meta.title).toBe("<script>alert(1)</script>"); // plain text; React escapes it
    expect(meta.imageUrl).toBeNull();
    expect(meta.description?.length).toBe(METADATA_LIMITS.description);
    expect(
      extractMetadata(`<meta property="og:image" content="data:image/png;base64,AAAA">`, PAGE).imageUrl,
    ).toBeNull();
  });

  it("answers nulls for a page without metadata or with garbage", () => {
    expect(extractMetadata("", PAGE)).toEqual({
      title: null,
      description: null,
      imageUrl: null,
      siteName: null,
    });
    expect(extractMetadata("<<<>>><meta content=>", PAGE).title).toBeNull();
  });

  it("finds the first http(s) URL of a message, trimming markdown and punctuation", () => {
    expect(firstUrl("see https://example.com/a.")).toBe("https://example.com/a");
    expect(firstUrl("[docs](https://example.com/docs) and http://b.example")).toBe(
      "https://example.com/docs",
    );
    expect(firstUrl("<https://example.com/x>")).toBe("https://example.com/x");
    expect(firstUrl("wiki https://en.wikipedia.org/wiki/Foo_(bar) ok")).toBe(
      "https://en.wikipedia.org/wiki/Foo_(bar)",
    );
    expect(firstUrl("no links, javascript:alert(1) ftp://x")).toBeNull();
  });
});
