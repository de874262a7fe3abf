/**
 * A minimal raw XMPP client over `node:net` for the peer benchmark: stream header, SASL PLAIN,
 * stream restart, resource bind, session, optional initial presence — nothing else (no stream
 * management, no roster, no TLS), so the figures measure the server, not a client library.
 *
 * Stanzas are cut out of the byte stream by a depth-counting scanner (no XML parser): enough for
 * what ejabberd sends (it escapes `<` and `>` in text and attribute values).
 */
import { connect, type Socket } from "node:net";

export const NS_CLIENT = "jabber:client";

const xmlEscape = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("'", "&apos;");

/** Cuts top-level stanzas (children of <stream:stream>) out of a character stream. */
export class StanzaFramer {
  private buf = "";
  private pos = 0;
  private depth = 0;
  private start = -1;

  constructor(
    private readonly onStanza: (stanza: string) => void,
    private readonly onStreamHeader: () => void = () => {},
    private readonly onStreamEnd: () => void = () => {},
  ) {}

  /** Forget everything (after a stream restart). */
  reset(): void {
    this.buf = "";
    this.pos = 0;
    this.depth = 0;
    this.start = -1;
  }

  push(chunk: string): void {
    this.buf = this.pos === 0 && this.buf.length === 0 ? chunk : this.buf + chunk;
    const buf = this.buf;
    for (;;) {
      const lt = buf.indexOf("<", this.pos);
      if (lt < 0) {
        this.pos = buf.length;
        break;
      }
      const next = buf.charCodeAt(lt + 1);
      if (next === 63 /* ? */) {
        const end = buf.indexOf("?>", lt);
        if (end < 0) break;
        this.pos = end + 2;
        continue;
      }
      const gt = buf.indexOf(">", lt);
      if (gt < 0) break;
      this.pos = gt + 1;
      if (next === 47 /* / */) {
        this.depth--;
        if (this.depth === 1 && this.start >= 0) {
          const stanza = buf.slice(this.start, gt + 1);
          this.start = -1;
          this.onStanza(stanza);
        } else if (this.depth <= 0) {
          this.depth = 0;
          this.onStreamEnd();
        }
        continue;
      }
      if (buf.startsWith("stream:stream", lt + 1)) {
        this.depth = 1;
        this.onStreamHeader();
        continue;
      }
      const selfClosing = buf.charCodeAt(gt - 1) === 47;
      if (this.depth === 1) {
        if (selfClosing) {
          this.onStanza(buf.slice(lt, gt + 1));
          continue;
        }
        this.start = lt;
      }
      if (!selfClosing) this.depth++;
    }
    // Drop what was consumed; keep an unfinished stanza (or tag) from its start.
    const keepFrom = this.start >= 0 ? this.start : this.pos;
    if (keepFrom > 0) {
      this.buf = buf.slice(keepFrom);
      this.pos -= keepFrom;
      if (this.start >= 0) this.start = 0;
    }
  }
}

export type TXmppOptions = {
  host: string;
  port: number;
  domain: string;
  user: string;
  password: string;
  resource?: string;
  /** Send `<presence/>` once the session is up (marks the session available; offline messages flow). */
  presence?: boolean;
  /** Called for every stanza after the session is established. */
  onStanza?: (stanza: string, conn: XmppConnection) => void;
  timeoutMs?: number;
};

/** An established, bound XMPP session. */
export class XmppConnection {
  onStanza: (stanza: string, conn: XmppConnection) => void = () => {};
  closed = false;

  constructor(
    readonly socket: Socket,
    readonly jid: string,
  ) {
    socket.on("close", () => {
      this.closed = true;
    });
  }

  send(xml: string): void {
    if (!this.closed) this.socket.write(xml);
  }

  /** `<message>` with a text body; `type` chat (1:1) or groupchat (MUC). */
  message(to: string, body: string, type: "chat" | "groupchat" = "chat"): void {
    this.send(`<message to='${to}' type='${type}'><body>${xmlEscape(body)}</body></message>`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end("</stream:stream>");
    this.socket.destroy();
  }
}

/** Text between `<body>` and `</body>` (not unescaped: bench bodies carry no markup). */
export function bodyOf(stanza: string): string | undefined {
  const open = stanza.indexOf("<body>");
  if (open < 0) return undefined;
  const close = stanza.indexOf("</body>", open);
  return close < 0 ? undefined : stanza.slice(open + 6, close);
}

const streamHeader = (domain: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='${NS_CLIENT}' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}' version='1.0'>`;

/**
 * Connects and logs in: header → features → PLAIN → success → restart → features → bind +
 * session (pipelined) → session result → optional presence. Resolves with the connection.
 */
export function connectXmpp(opts: TXmppOptions): Promise<XmppConnection> {
  return new Promise((resolve, reject) => {
    const resource = opts.resource ?? "bench";
    const socket = connect({ host: opts.host, port: opts.port, noDelay: true });
    socket.setEncoding("utf8");
    let stage: "features" | "auth" | "features2" | "session" | "ready" = "features";
    let conn: XmppConnection | undefined;
    const timer = setTimeout(
      () => fail(new Error(`login timed out at stage ${stage}`)),
      opts.timeoutMs ?? 30_000,
    );
    const fail = (err: Error) => {
      if (stage === "ready") return;
      stage = "ready";
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`${opts.user}: ${err.message}`));
    };
    const framer = new StanzaFramer(
      (stanza) => {
        switch (stage) {
          case "ready":
            conn?.onStanza(stanza, conn);
            return;
          case "features": {
            if (!stanza.startsWith("<stream:features")) return;
            if (!stanza.includes(">PLAIN<")) return fail(new Error("server does not offer SASL PLAIN"));
            const creds = Buffer.from(`\0${opts.user}\0${opts.password}`).toString("base64");
            socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`);
            stage = "auth";
            return;
          }
          case "auth":
            if (stanza.startsWith("<success")) {
              stage = "features2";
              framer.reset();
              socket.write(streamHeader(opts.domain));
            } else if (stanza.startsWith("<failure")) {
              fail(new Error(`SASL failure: ${stanza}`));
            }
            return;
          case "features2":
            if (!stanza.startsWith("<stream:features")) return;
            socket.write(
              `<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>` +
                "<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
            );
            stage = "session";
            return;
          case "session":
            if (stanza.includes("type='error'") || stanza.includes('type="error"')) {
              return fail(new Error(`bind/session refused: ${stanza}`));
            }
            if (stanza.startsWith("<iq") && /id=['"]sess['"]/.test(stanza)) {
              stage = "ready";
              clearTimeout(timer);
              conn = new XmppConnection(socket, `${opts.user}@${opts.domain}/${resource}`);
              if (opts.onStanza) conn.onStanza = opts.onStanza;
              if (opts.presence) socket.write("<presence/>");
              resolve(conn);
            }
            return;
        }
      },
      () => {},
      () => {
        if (stage !== "ready") fail(new Error("server closed the stream"));
      },
    );
    socket.on("data", (chunk: string) => framer.push(chunk));
    socket.on("error", (err) => fail(err));
    socket.on("close", () => fail(new Error("connection closed")));
    socket.on("connect", () => socket.write(streamHeader(opts.domain)));
  });
}
