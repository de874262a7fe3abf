/**
 * Pure-logic checks of the peer benchmark's pieces (no server): the stanza framer and the
 * contract-line parser (the unit tier of `npm test`).
 */
import assert from "node:assert/strict";
import { test } from "vitest";
import { lastContractLine, parseContractLine, percentiles } from "./util.ts";
import { bodyOf, StanzaFramer } from "./xmpp.ts";

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'>";
const STANZAS = [
  "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
  "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
  "<message from='a@localhost/r' type='chat'><body>42</body><delay xmlns='urn:xmpp:delay' stamp='x'/></message>",
  "<presence from='room@conference.localhost/m1'><x xmlns='http://jabber.org/protocol/muc#user'><item role='participant'/><status code='110'/></x></presence>",
];

function frame(chunks: string[]): { stanzas: string[]; headers: number; ends: number } {
  const stanzas: string[] = [];
  let headers = 0;
  let ends = 0;
  const framer = new StanzaFramer(
    (s) => stanzas.push(s),
    () => headers++,
    () => ends++,
  );
  for (const c of chunks) framer.push(c);
  return { stanzas, headers, ends };
}

test("framer: whole stream in one chunk", () => {
  const r = frame([`${HEADER}${STANZAS.join("\n")}</stream:stream>`]);
  assert.deepEqual(r.stanzas, STANZAS);
  assert.equal(r.headers, 1);
  assert.equal(r.ends, 1);
});

test("framer: every split point gives the same stanzas", () => {
  const text = `${HEADER}${STANZAS.join("")}`;
  for (let cut = 1; cut < text.length; cut++) {
    const r = frame([text.slice(0, cut), text.slice(cut)]);
    assert.deepEqual(r.stanzas, STANZAS, `cut at ${cut}`);
  }
  const oneByOne = frame([...text]);
  assert.deepEqual(oneByOne.stanzas, STANZAS);
});

test("framer: reset for a stream restart", () => {
  const stanzas: string[] = [];
  const framer = new StanzaFramer((s) => stanzas.push(s));
  framer.push(`${HEADER}${STANZAS[1]}`);
  framer.reset();
  framer.push(`${HEADER}${STANZAS[0]}`);
  assert.deepEqual(stanzas, [STANZAS[1], STANZAS[0]]);
});

test("bodyOf", () => {
  assert.equal(bodyOf(STANZAS[2] as string), "42");
  assert.equal(bodyOf(STANZAS[1] as string), undefined);
});

test("contract lines: suffixes stripped, strings kept, last matching line wins", () => {
  const p = parseContractLine(
    "bench: scenario=dm p50=1.5ms cpu=40% rate=200/s t=3s ordered=true engine=memory",
  );
  assert.deepEqual(p, {
    prefix: "bench",
    scenario: "dm",
    values: { p50: 1.5, cpu: 40, rate: 200, t: 3, ordered: "true", engine: "memory" },
  });
  const out = "bench: scenario=dm p99=9ms\nnoise\nbench: scenario=dm p99=7ms\npeer: scenario=dm p99=1ms\n";
  assert.equal(lastContractLine(out, "bench", "dm")?.values.p99, 7);
  assert.equal(lastContractLine(out, "bench", "idle"), null);
});

test("percentiles", () => {
  const s = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual(percentiles(s), { p50: 50, p99: 99, max: 100, count: 100 });
  assert.deepEqual(percentiles([]), { p50: 0, p99: 0, max: 0, count: 0 });
});
