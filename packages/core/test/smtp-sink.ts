/** A local SMTP server (`smtp-server`) that keeps every mail it receives, parsed (`mailparser`). */
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { createMailer, type TMailer } from "../src/notifications/email.ts";

/** One received mail. */
export type TArrivedMail = { to: string; subject: string; text: string; html: string; headerLines: string[] };

/** Starts the server on a free loopback port; `mailer` sends to it, `arrived` fills as mail comes in. */
export async function startSmtpSink(): Promise<{
  arrived: TArrivedMail[];
  mailer: TMailer;
  close: () => Promise<void>;
}> {
  const arrived: TArrivedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, _session, done) {
      simpleParser(stream)
        .then((mail) => {
          const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
          arrived.push({
            to: to?.value[0]?.address ?? "",
            subject: mail.subject ?? "",
            text: mail.text ?? "",
            html: typeof mail.html === "string" ? mail.html : "",
            // Unfolded (RFC 5322: a line break before white space is not part of the value).
            headerLines: mail.headerLines.map((h) => h.line.replace(/\r\n(?=[ \t])/g, "")),
          });
          done();
        })
        .catch(done);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  const mailer = createMailer({ SMTP_HOST: "127.0.0.1", SMTP_PORT: port, SMTP_SECURE: false });
  if (!mailer) throw new Error("no mailer");
  return { arrived, mailer, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
}
