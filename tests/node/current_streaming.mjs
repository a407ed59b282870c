// Streamed answers through the current Node SDK ("openai-current"), one scenario per run:
// `node current_streaming.mjs <scenario> [JSON argument]`. Configuration comes from the environment
// (OPENAI_BASE_URL, OPENAI_API_KEY). Prints one JSON line (support.cjs): every event as the SDK
// handed it over (b64_json included: the test decodes the images), or the error it threw.
import fs from "node:fs";
import { createRequire } from "node:module";

import OpenAI, { toFile } from "openai-current";
import { VERSION } from "openai-current/version";

const require = createRequire(import.meta.url);
const support = require("./support.cjs");

const client = new OpenAI({
  apiKey: process.env.OPENAI_API_KEY,
  baseURL: process.env.OPENAI_BASE_URL,
  maxRetries: 0,
  timeout: 60_000,
});

const argument = process.argv[3] === undefined ? null : JSON.parse(process.argv[3]);
const PROMPT = "a lighthouse at dusk";

// Iterate a stream as a user does, keeping every event, and what ended it.
async function collect(stream) {
  const events = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    return {
      events,
      error: {
        class: error.constructor.name,
        message: error.message,
        is_connection_error: error instanceof OpenAI.APIConnectionError,
      },
    };
  }
  return { events, error: null };
}

const SCENARIOS = {
  // a streamed generation with the params given
  generate: async () => collect(await client.images.generate({ prompt: PROMPT, stream: true, ...argument })),
  // a streamed edit of input.png (in the working directory)
  edit: async () =>
    collect(
      await client.images.edit({
        image: await toFile(fs.createReadStream("input.png"), "input.png", { type: "image/png" }),
        prompt: PROMPT,
        stream: true,
        ...argument,
      }),
    ),
};

const name = process.argv[2];
const scenario = SCENARIOS[name];
if (scenario === undefined) {
  process.stderr.write(`unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(SCENARIOS).join(", ")}\n`);
  process.exit(2);
}
await support.run(scenario, { sdk: VERSION, scenario: name });
