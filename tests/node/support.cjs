// What every Node run shares: it prints exactly ONE line on stdout, a JSON report, which
// tests/node/test_node_sdks.py reads and checks. Nothing else may write to stdout.
//
// * `recordingConsole()`: a stand-in for `console` that keeps what an example prints
//   (the text as Node would print it, and the values themselves) instead of printing it.
// * `recordWire()`: the head of every HTTP request the `http` module sent (method, path,
//   headers as written on the wire), from Node's diagnostics channels; the legacy SDK
//   (axios) goes through it, so a test can see e.g. `Transfer-Encoding: chunked`.
// * `pngInfo(bytes)`: the PNG signature and the IHDR width and height.
// * `run(main)`: `main(console)` under both recorders, then the report.
"use strict";

const diagnostics = require("node:diagnostics_channel");
const util = require("node:util");

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngInfo(bytes) {
  const data = Buffer.from(bytes);
  const signature = data.subarray(0, 8).equals(PNG_SIGNATURE);
  const ihdr = data.length >= 24 && data.toString("latin1", 12, 16) === "IHDR";
  return {
    bytes: data.length,
    signature,
    ihdr,
    width: ihdr ? data.readUInt32BE(16) : null,
    height: ihdr ? data.readUInt32BE(20) : null,
  };
}

// A value as JSON can carry it: Buffers and errors described, cycles cut.
function plain(value) {
  const seen = new WeakSet();
  return JSON.parse(
    JSON.stringify(value, function (key, item) {
      const original = this[key];
      if (Buffer.isBuffer(original)) return { buffer: pngInfo(original) };
      if (original instanceof Error) return { error: original.constructor.name, message: original.message };
      if (item !== null && typeof item === "object") {
        if (seen.has(item)) return "[cycle]";
        seen.add(item);
      }
      return item === undefined ? null : item;
    }) ?? "null",
  );
}

function recordingConsole() {
  const printed = [];
  const log = (...args) => {
    printed.push({ text: util.format(...args), values: args.map(plain) });
  };
  return { console: { log, info: log, error: log, warn: log }, printed };
}

function parseHead(head) {
  const [requestLine, ...lines] = head.split("\r\n").filter((line) => line !== "");
  const headers = {};
  for (const line of lines) {
    const at = line.indexOf(":");
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  const [method, path] = requestLine.split(" ");
  return { method, path, headers };
}

function recordWire() {
  const requests = [];
  const finished = ({ request, response }) => {
    const entry = parseHead(String(request._header || ""));
    entry.status = response.statusCode;
    requests.push(entry);
  };
  diagnostics.subscribe("http.client.response.finish", finished);
  return requests;
}

function emit(report) {
  process.stdout.write(JSON.stringify(report) + "\n");
}

// Runs `main(console)` and prints the report: what it printed, returned or threw, and the wire.
async function run(main, extra = {}) {
  const wire = recordWire();
  const { console: recorder, printed } = recordingConsole();
  const report = { node: process.version, ...extra, printed, returned: null, threw: null, wire };
  try {
    report.returned = plain(await main(recorder));
  } catch (error) {
    report.threw = {
      name: error && error.constructor ? error.constructor.name : typeof error,
      message: String(error && error.message),
      stack: String(error && error.stack),
    };
  }
  emit(report);
}

// An axios response (the legacy SDK's answer) as the test needs it.
function axiosResponse(response) {
  if (response === undefined || response === null) return null;
  return {
    status: response.status,
    request_id: response.headers ? response.headers["x-request-id"] : null,
    data: response.data,
  };
}

module.exports = { pngInfo, plain, recordingConsole, recordWire, emit, run, axiosResponse };
