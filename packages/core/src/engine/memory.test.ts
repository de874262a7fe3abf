import { runEngineContract } from "./contract.ts";
import { MemoryEngine, MemoryHub } from "./memory.ts";

// Every engine of this run shares one hub: two instances behave like two gateways on one Redis.
const hub = new MemoryHub();
runEngineContract("memory", async () => new MemoryEngine({ hub }));
