// Today's models through the current Node SDK ("openai-current"), one scenario per run:
// `node current_gpt.mjs <scenario> [JSON argument]`. Configuration comes from the environment
// (OPENAI_BASE_URL, OPENAI_API_KEY). Prints one JSON line (support.cjs): the answers as the SDK
// returned them (b64_json included: the test decodes the images), or the errors it threw.
import { createRequire } from "node:module";

import OpenAI from "openai-current";
import { VERSION } from "openai-current/version";

const require = createRequire(import.meta.url);
const support = require("./support.cjs");

const client = new OpenAI({
  apiKey: process.env.OPENAI_API_KEY,
  baseURL: process.env.OPENAI_BASE_URL,
  maxRetries: 0,
  timeout: 60_000,
});

function apiError(error) {
  return {
    class: error.constructor.name,
    is_bad_request_error: error instanceof OpenAI.BadRequestError,
    is_permission_denied_error: error instanceof OpenAI.PermissionDeniedError,
    status: error.status,
    code: error.code,
    param: error.param,
    type: error.type,
    message: error.message,
    request_id: error.requestID,
    error: error.error,
  };
}

async function expectError(call) {
  try {
    return { unexpected_success: await call() };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return apiError(error);
  }
}

const argument = process.argv[3] === undefined ? null : JSON.parse(process.argv[3]);
const PROMPT = "a white siamese cat";

const SCENARIOS = {
  // one valid generation per request body given: [{model, ...params}, ...]
  generate: async () => {
    const answers = [];
    for (const params of argument) answers.push(await client.images.generate({ prompt: PROMPT, ...params }));
    return answers;
  },
  "dall-e-3-n-2": () => expectError(() => client.images.generate({ model: "dall-e-3", prompt: PROMPT, n: 2 })),
  "response-format": () =>
    expectError(() => client.images.generate({ model: "gpt-image-1.5", prompt: PROMPT, response_format: "url" })),
  "moderation-blocked": () =>
    expectError(() => client.images.generate({ model: "gpt-image-2", prompt: "a nude figure" })),
  "must-be-verified": () => expectError(() => client.images.generate({ model: "gpt-image-1", prompt: PROMPT })),
};

const name = process.argv[2];
const scenario = SCENARIOS[name];
if (scenario === undefined) {
  process.stderr.write(`unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(SCENARIOS).join(", ")}\n`);
  process.exit(2);
}
await support.run(scenario, { sdk: VERSION, scenario: name });
