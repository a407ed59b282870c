// The current Node SDK (the `openai` package's current line, installed as "openai-current")
// against the fake, one scenario per run: `node current_sdk.mjs <scenario>`, in a working
// directory holding the PNGs it uploads. Configuration comes from the environment
// (OPENAI_BASE_URL, OPENAI_API_KEY), handed to the client explicitly. Prints one JSON line
// (support.cjs): what the SDK returned or threw, with every b64_json image's PNG header read here.
import fs from "node:fs";
import { createRequire } from "node:module";

import OpenAI, { toFile } from "openai-current";
import { VERSION } from "openai-current/version";

const require = createRequire(import.meta.url);
const support = require("./support.cjs");

const client = new OpenAI({
  apiKey: process.env.OPENAI_API_KEY,
  baseURL: process.env.OPENAI_BASE_URL,
  // maxRetries stays the SDK's default (2): a 4xx must not be retried, and the test counts requests
  timeout: 30_000,
});

// An ImagesResponse as the test needs it: each image's URL, or its b64_json decoded and measured.
function images(result) {
  return {
    created: result.created,
    request_id: result._request_id,
    keys: Object.keys(result).sort(),
    data: result.data.map((image) =>
      image.b64_json === undefined
        ? { url: image.url, keys: Object.keys(image).sort() }
        : {
            b64_json: image.b64_json,
            png: support.pngInfo(Buffer.from(image.b64_json, "base64")),
            keys: Object.keys(image).sort(),
          },
    ),
  };
}

// An error as the SDK raised it.
function apiError(error) {
  return {
    class: error.constructor.name,
    is_bad_request_error: error instanceof OpenAI.BadRequestError,
    is_api_error: error instanceof OpenAI.APIError,
    status: error.status,
    code: error.code,
    param: error.param,
    type: error.type,
    message: error.message,
    request_id: error.requestID,
    header_request_id: error.headers ? error.headers.get("x-request-id") : null,
    error: error.error,
  };
}

async function expectError(call) {
  try {
    const result = await call();
    return { unexpected_success: images(result) };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return apiError(error);
  }
}

// A GPT image model's answer: the images, plus the top-level fields and usage it carries.
function gptImages(result) {
  return {
    ...images(result),
    size: result.size,
    output_format: result.output_format,
    background: result.background,
    quality: result.quality,
    usage: result.usage,
  };
}

// A JSON edit: the SDK's edit() is multipart only, so it goes out as a plain POST with a body.
const jsonEdit = (body) => client.post("/images/edits", { body });
const dataUrl = (file, type) => `data:${type};base64,${fs.readFileSync(file).toString("base64")}`;

const SCENARIOS = {
  // images.generate, default response_format (url)
  "generate-url": async () =>
    images(await client.images.generate({ prompt: "a white siamese cat", n: 2, size: "512x512" })),

  // images.generate, b64_json
  "generate-b64": async () =>
    images(
      await client.images.generate({
        prompt: "a white siamese cat",
        n: 1,
        size: "256x256",
        response_format: "b64_json",
      }),
    ),

  // images.edit: the image as toFile(ReadStream, name, {type}), the mask as a bare ReadStream
  edit: async () =>
    images(
      await client.images.edit({
        image: await toFile(fs.createReadStream("lounge.png"), "lounge.png", { type: "image/png" }),
        mask: fs.createReadStream("mask.png"),
        prompt: "A sunlit indoor lounge area with a pool containing a flamingo",
        n: 1,
        size: "256x256",
      }),
    ),

  // images.createVariation: a Buffer through toFile, b64_json
  variation: async () =>
    images(
      await client.images.createVariation({
        image: await toFile(fs.readFileSync("corgi.png"), "corgi.png", { type: "image/png" }),
        n: 2,
        size: "256x256",
        response_format: "b64_json",
      }),
    ),

  // a GPT model's edit of two images (an array goes out as repeated image[] parts)
  "gpt-edit-two-images": async () =>
    gptImages(
      await client.images.edit({
        model: "gpt-image-1.5",
        image: [
          await toFile(fs.createReadStream("square.png"), "square.png", { type: "image/png" }),
          await toFile(fs.readFileSync("photo.jpg"), "photo.jpg", { type: "image/jpeg" }),
        ],
        prompt: "a cat",
      }),
    ),

  // a JSON edit with a data: URL
  "gpt-edit-json-data-url": async () =>
    gptImages(
      await jsonEdit({
        model: "gpt-image-1.5",
        prompt: "a cat",
        images: [{ image_url: dataUrl("photo.jpg", "image/jpeg") }],
      }),
    ),

  // a JSON edit of an image URL the fake handed out (a dall-e-2 generation's)
  "gpt-edit-json-own-url": async () => {
    const generated = await client.images.generate({ prompt: "a dog", size: "256x256" });
    return gptImages(
      await jsonEdit({ model: "gpt-image-2", prompt: "a cat", images: [{ image_url: generated.data[0].url }] }),
    );
  },

  // a URL elsewhere, and a file_id: refused, never fetched
  "gpt-edit-json-foreign-url": () =>
    expectError(() =>
      jsonEdit({ model: "gpt-image-1.5", prompt: "a cat", images: [{ image_url: "https://example.com/cat.png" }] }),
    ),
  "gpt-edit-json-file-id": () =>
    expectError(() => jsonEdit({ model: "gpt-image-1.5", prompt: "a cat", images: [{ file_id: "file-abc123" }] })),

  // a mask without alpha
  "gpt-edit-mask-without-alpha": () =>
    expectError(async () =>
      client.images.edit({
        model: "gpt-image-1.5",
        image: [await toFile(fs.readFileSync("square.png"), "square.png", { type: "image/png" })],
        mask: await toFile(fs.readFileSync("square.png"), "mask.png", { type: "image/png" }),
        prompt: "a cat",
      }),
    ),

  // a size DALL·E 2 does not make: 400 invalid_value on `size`
  "bad-size": () => expectError(() => client.images.generate({ prompt: "a white siamese cat", size: "300x300" })),

  // a non-square upload: 400 with neither param nor code
  "not-square": () =>
    expectError(async () =>
      client.images.createVariation({
        image: await toFile(fs.readFileSync("wide.png"), "wide.png", { type: "image/png" }),
        size: "256x256",
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
