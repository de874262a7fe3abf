import { deliverySuite } from "./delivery-suite.ts";

// The single-node setup: one gateway on the in-process memory engine.
deliverySuite("memory");
