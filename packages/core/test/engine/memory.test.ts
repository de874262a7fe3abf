import { MemoryEngine, MemoryHub } from "../../src/engine/memory.ts";
import { runEngineContract } from "./contract.ts";

// Every engine of this run shares one hub: two instances behave like two gateways on one Redis.
const hub = new MemoryHub();
runEngineContract("memory", async () => new MemoryEngine({ hub }));
