import { NextIntlClientProvider } from "next-intl";
import { type ComponentProps, createElement, type ReactElement } from "react";
import { renderToStaticMarkup as renderMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import en from "~/i18n/messages/en.json";
import { WorkspaceExtrasContext } from "~/lib/workspace-extras";
import { MessageBody, safeUrl } from "./message-body";

/** Renders in English, as the app does for an English reader (the body's few words are translated). */
const renderToStaticMarkup = (element: ReactElement) =>
  renderMarkup(
    createElement(
      NextIntlClientProvider,
      // Its props type requires children, which createElement's third argument gives.
      { locale: "en", messages: en, timeZone: "UTC" } as unknown as ComponentProps<
        typeof NextIntlClientProvider
      >,
      element,
    ),
  );

const html = (text: string) => renderToStaticMarkup(createElement(MessageBody, { text }));

const ME = "11111111-1111-4111-8111-111111111111";
const BOB = "22222222-2222-4222-8222-222222222222";
const GONE = "33333333-3333-4333-8333-333333333333";
const names = new Map([
  [ME, "Ann Me"],
  [BOB, "Bob <b>Smith</b>"],
]);
const withMentions = (text: string) =>
  renderToStaticMarkup(createElement(MessageBody, { text, names, meId: ME }));

describe("MessageBody", () => {
  it("renders bold, italic, strike, code, quotes and lists", () => {
    const out = html("**b** _i_ ~~s~~ `c`\n\n> q\n\n- one\n- two\n\n```\nblock\n```");
    expect(out).toContain("<strong>b</strong>");
    expect(out).toContain("<em>i</em>");
    expect(out).toContain("<del>s</del>");
    expect(out).toContain("<code>c</code>");
    expect(out).toContain("<blockquote>");
    expect(out).toContain("<li>one</li>");
    expect(out).toContain('<div class="code-block"><pre><code>block</code></pre></div>');
  });

  it("renders GFM task lists as read-only checkboxes, and typed <input> stays text", () => {
    const out = html("- [x] done\n- [ ] todo\n\n<input type=checkbox>");
    expect(out).toContain(
      '<li class="task-list-item"><input type="checkbox" disabled="" readOnly="" aria-label="Done" checked=""/> done</li>',
    );
    expect(out).toContain(
      '<li class="task-list-item"><input type="checkbox" disabled="" readOnly="" aria-label="Not done"/> todo</li>',
    );
    expect(out).toContain('class="contains-task-list"');
    expect(out).toContain("&lt;input type=checkbox&gt;");
    expect(out.match(/<input/g)).toHaveLength(2);
  });

  it("renders a fenced block with a language as plain code first, marked for highlighting, collapsed when long", () => {
    const out = html("```ts\nconst a: number = 1;\n```");
    expect(out).toContain(
      '<div class="code-block" data-language="typescript"><pre><code>const a: number = 1;</code></pre></div>',
    );
    expect(html("```nosuchlang\nx\n```")).toContain(
      '<div class="code-block"><pre><code>x</code></pre></div>',
    );
    const long = html(`\`\`\`\n${Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n")}\n\`\`\``);
    expect(long).toContain('class="code-block is-collapsed"');
    expect(long).toContain("Show more (40 lines)");
  });

  it("shows raw HTML as text instead of rendering it", () => {
    const out = html("<script>alert(1)</script> <img src=x onerror=alert(1)>");
    expect(out).not.toContain("<script");
    expect(out).not.toContain("<img");
    expect(out).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(out).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("links only http, https and mailto URLs, in a new tab without referrer", () => {
    const out = html("[ok](https://example.com) [bad](javascript:alert(1)) ![img](https://x/y.png)");
    expect(out).toContain(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">ok</a>',
    );
    expect(out).not.toContain("javascript:");
    expect(out).not.toContain("<img");
    expect(safeUrl("mailto:a@b.c")).toBe("mailto:a@b.c");
    expect(safeUrl("data:text/html,x")).toBe("");
  });
});

describe("MessageBody mentions", () => {
  it("shows user tokens as @Name pills and highlights the reader", () => {
    const out = withMentions(`hi <@${BOB}> and <@${ME}>!`);
    expect(out).toContain('<span class="mention" data-mention="user">@Bob &lt;b&gt;Smith&lt;/b&gt;</span>');
    expect(out).toContain('<span class="mention mention-me" data-mention="user">@Ann Me</span>!');
    expect(out).not.toContain("<b>");
  });

  it("highlights @channel, @here and @everyone for everyone", () => {
    const out = withMentions("<!here> look, <!channel> and <!everyone>");
    expect(out).toContain('<p><span class="mention mention-me" data-mention="here">@here</span> look,');
    expect(out).toContain('<span class="mention mention-me" data-mention="channel">@channel</span>');
    expect(out).toContain('<span class="mention mention-me" data-mention="everyone">@everyone</span>');
  });

  it("names an unknown user 'unknown user', also without a names map", () => {
    expect(withMentions(`<@${GONE}>`)).toContain(
      '<span class="mention mention-unknown" data-mention="user">@unknown user</span>',
    );
    expect(html(`<@${BOB}>`)).toContain(">@unknown user</span>");
  });

  it("keeps markdown around mentions and leaves tokens in code as typed", () => {
    const out = withMentions(`**<@${BOB}>** \`<!here>\`\n\n\`\`\`\n<@${BOB}>\n\`\`\``);
    expect(out).toContain('<strong><span class="mention" data-mention="user">@Bob');
    expect(out).toContain("<code>&lt;!here&gt;</code>");
    expect(out).toContain(`<pre><code>&lt;@${BOB}&gt;</code></pre>`);
  });

  it("does not let typed private-use markers forge a pill", () => {
    const out = withMentions("\uE000@not-a-token\uE001 <span>x</span>");
    expect(out).not.toContain('class="mention');
    expect(out).toContain("&lt;span&gt;x&lt;/span&gt;");
  });

  it("draws known custom emoji as images (not in code), and group mentions as @handle pills", () => {
    const GROUP = "44444444-4444-4444-8444-444444444444";
    const EMOJI = "55555555-5555-4555-8555-555555555555";
    const extras = {
      emoji: [],
      emojiByName: new Map([["party-parrot", EMOJI]]),
      emojiEntries: [],
      groups: [],
      groupsById: new Map([[GROUP, { groupId: GROUP, handle: "design", name: "Design", memberIds: [ME] }]]),
      requestGroups: () => {},
    };
    const out = renderToStaticMarkup(
      createElement(
        WorkspaceExtrasContext.Provider,
        { value: extras },
        createElement(MessageBody, {
          text: `yay :party-parrot: :nope: \`:party-parrot:\` <!subteam^${GROUP}> <!subteam^${GONE}>`,
          names,
          meId: ME,
        }),
      ),
    );
    expect(out).toContain(`<img class="custom-emoji" src="/api/emoji/${EMOJI}" alt=":party-parrot:"`);
    expect(out.match(/<img/g)).toHaveLength(1);
    expect(out).toContain(":nope:");
    expect(out).toContain("<code>:party-parrot:</code>");
    expect(out).toContain(
      '<span class="mention mention-group mention-me" data-mention="group">@design</span>',
    );
    expect(out).toContain(
      '<span class="mention mention-group mention-unknown" data-mention="group">@unknown group</span>',
    );
  });
});
