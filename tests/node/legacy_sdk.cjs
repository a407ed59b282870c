// The legacy Node SDK (openai@3.3.0, installed as "openai-v3") on the two calls the seeds'
// examples do not make: `createImage` (JSON) and `createImageEdit` (multipart, image and mask as
// ReadStreams). `node legacy_sdk.cjs <scenario>` in a working directory holding the PNGs;
// configured as the guide's era did (`new Configuration({ apiKey, basePath })`) from the
// environment. Prints one JSON line (support.cjs).
"use strict";
const fs = require("fs");
const support = require("./support.cjs");
const { Configuration, OpenAIApi } = require("openai-v3");

const openai = new OpenAIApi(
  new Configuration({ apiKey: process.env.OPENAI_API_KEY, basePath: process.env.OPENAI_BASE_URL }),
);

const SCENARIOS = {
  "create-image": async () =>
    support.axiosResponse(
      await openai.createImage({
        prompt: "a white siamese cat",
        n: 1,
        size: "256x256",
        response_format: "b64_json",
      }),
    ),

  "create-image-edit": async () =>
    support.axiosResponse(
      await openai.createImageEdit(
        fs.createReadStream("sunlit_lounge.png"),
        "A sunlit indoor lounge area with a pool containing a flamingo",
        fs.createReadStream("mask.png"),
        1,
        "512x512",
      ),
    ),
};

const name = process.argv[2];
const scenario = SCENARIOS[name];
if (scenario === undefined) {
  process.stderr.write(`unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(SCENARIOS).join(", ")}\n`);
  process.exit(2);
}
support.run(scenario, { sdk: require("openai-v3/package.json").version, scenario: name });
