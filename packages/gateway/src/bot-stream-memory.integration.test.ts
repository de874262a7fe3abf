import { botStreamSuite } from "./bot-stream-suite.ts";

// The single-node setup: one gateway on the in-process memory engine.
botStreamSuite("memory");
