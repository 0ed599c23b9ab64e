import { FakeLlm } from "./tests/fakes/fake_llm.ts";
const llm = await FakeLlm.start();
console.log(llm.baseUrl);
await new Promise(() => {});
