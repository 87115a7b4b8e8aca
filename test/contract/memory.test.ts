import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import { describeStore } from "./store-contract.ts";

describeStore("memory", async (clock) => {
  const store = new MemoryStore(clock);
  await store.open();
  return { store, cleanup: () => store.close() };
});
