/**
 * The unsubscribe link of notification e-mails (core/notifications/email.ts). GET only shows a
 * page with a button — mail scanners open links, so a GET changes nothing — and POST (the button,
 * or a mail client's List-Unsubscribe one-click, RFC 8058) turns the token's user's e-mail off.
 * The token is signed with AUTH_SECRET; a bad one changes nothing and says so.
 */
import { unsubscribeEmail, verifyUnsubscribeToken } from "@parley/core";
import { getDb } from "@parley/db";
import { env } from "../../../../env";

export const dynamic = "force-dynamic";

function page(status: number, title: string, body: string): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1 style="font-size:1.4rem">${title}</h1>${body}</body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

const BAD = () =>
  page(400, "This link does not work", "<p>Change e-mail notifications in Parley's settings instead.</p>");

/** Shows the confirmation button. */
export async function GET(req: Request): Promise<Response> {
  const token = new URL(req.url).searchParams.get("token") ?? "";
  if (!verifyUnsubscribeToken(env().AUTH_SECRET, token)) return BAD();
  const action = `/api/notifications/unsubscribe?token=${encodeURIComponent(token)}`;
  return page(
    200,
    "Stop e-mail notifications?",
    `<form method="post" action="${action}"><button type="submit">Stop e-mail notifications</button></form>
<p>You can turn them back on in Parley: Settings → Notifications.</p>`,
  );
}

/** Turns e-mail notifications off. */
export async function POST(req: Request): Promise<Response> {
  const token = new URL(req.url).searchParams.get("token") ?? "";
  if (!(await unsubscribeEmail(getDb(), env().AUTH_SECRET, token))) return BAD();
  return page(
    200,
    "E-mail notifications are off",
    "<p>You will get no more notification e-mails. Turn them back on in Parley: Settings → Notifications.</p>",
  );
}
