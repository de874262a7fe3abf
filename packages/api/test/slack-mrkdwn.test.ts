/** Slack mrkdwn and blocks → Parley markdown (the Slack-compatible API's text conversion). */
import { describe, expect, it } from "vitest";
import { blocksToMarkdown, mrkdwnToMarkdown } from "../src/slack/mrkdwn.ts";

describe("mrkdwnToMarkdown", () => {
  it.each([
    ["*bold* and _italic_ and ~strike~", "**bold** and _italic_ and ~~strike~~"],
    ["see <https://example.test/a?b=1|the docs>", "see [the docs](https://example.test/a?b=1)"],
    ["bare <https://example.test>", "bare https://example.test"],
    ["<mailto:a@b.test|mail me>", "[mail me](mailto:a@b.test)"],
    ["in <#C123|deploys> now", "in #deploys now"],
    [
      "hi <@0195a0b2-0000-7000-8000-000000000001> and <!here>",
      "hi <@0195a0b2-0000-7000-8000-000000000001> and <!here>",
    ],
    ["<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"],
    ["a &lt;b&gt; &amp; c", "a <b> & c"],
    ["`*code*` stays, ```\n*block*\n``` too", "`*code*` stays, ```\n*block*\n``` too"],
    ["2*3*4 is not bold", "2*3*4 is not bold"],
    ["<javascript:alert(1)|x>", "<javascript:alert(1)|x>"],
  ])("%s", (input, expected) => {
    expect(mrkdwnToMarkdown(input)).toBe(expected);
  });
});

describe("blocksToMarkdown", () => {
  it("renders text blocks as sections and leaves out blocks without text", () => {
    expect(
      blocksToMarkdown([
        { type: "header", text: { type: "plain_text", text: "Title" } },
        {
          type: "section",
          text: { type: "mrkdwn", text: "*x*" },
          fields: [{ type: "plain_text", text: "*y*" }],
        },
        { type: "image", image_url: "https://example.test/i.png", alt_text: "i" },
        { type: "context", elements: [{ type: "mrkdwn", text: "_small_" }] },
        { type: "divider" },
        {
          type: "rich_text",
          elements: [
            {
              type: "rich_text_section",
              elements: [
                { type: "text", text: "rich " },
                { type: "user", user_id: "u1" },
              ],
            },
          ],
        },
      ]),
    ).toBe("**Title**\n\n**x**\n*y*\n\n_small_\n\n---\n\nrich <@u1>");
  });

  it("gives nothing for non-arrays and junk", () => {
    expect(blocksToMarkdown("nope")).toBe("");
    expect(blocksToMarkdown([null, 3, { type: "actions", elements: [] }])).toBe("");
  });
});
