// The live view of the fake (GET /_mock/ui). Plain JavaScript, no dependency.
// It polls the control API while the page is visible, and acts only through it.
"use strict";

(() => {
  const POLL_MS = 1000;
  const MAX_ROWS = 500;
  const TOKEN_KEY = "mockserver-admin-token";
  const tokenRequired = document.body.dataset.tokenRequired === "true";

  const $ = (id) => document.getElementById(id);
  const state = { cursor: null, now: null, frozen: false, timer: null, ticks: 0, locked: false, faults: null };
  const imageUrls = new Map(); // image id -> Promise of a blob: URL (fetched with the token header)

  // --- small helpers ------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const pad = (n) => String(n).padStart(2, "0");
  // A masked key is mostly stars; its ends tell keys apart (the title keeps it whole).
  const shortKey = (masked) => masked.replace(/\*{4,}/, "…");
  const keyCode = (masked) => h("code", { class: "key", title: masked, text: shortKey(masked) });
  function clockText(epoch) {
    const d = new Date(epoch * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
  }
  const timeText = (epoch) => clockText(epoch).slice(11, 19);
  function duration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }

  let statusTimer = null;
  function say(message, kind) {
    const el = $("status");
    el.textContent = message;
    el.dataset.kind = kind || "info";
    clearTimeout(statusTimer);
    if (kind !== "error") statusTimer = setTimeout(() => { el.textContent = ""; }, 4000);
  }

  // --- the control API ------------------------------------------------------------------
  class Locked extends Error {}

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

  function headers(json) {
    const out = {};
    if (json) out["Content-Type"] = "application/json";
    if (tokenRequired) out.Authorization = `Bearer ${token()}`;
    return out;
  }

  async function call(method, path, body) {
    if (tokenRequired && !token()) throw new Locked("Give the admin token first.");
    const response = await fetch(path, {
      method, headers: headers(body !== undefined), cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 || response.status === 403) {
      lock(response.status === 401 ? "The admin token was refused." : "The control API refused this client.");
      throw new Locked("refused");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error((data && data.error && data.error.message) || `HTTP ${response.status}`);
    return data;
  }

  async function act(what, method, path, body) {
    try {
      const result = await call(method, path, body);
      say(what);
      await poll(true);
      return result;
    } catch (error) {
      say(error instanceof Locked ? "Nothing was done: give the admin token first." : `Refused: ${error.message}`, "error");
      return null;
    }
  }

  // --- access -------------------------------------------------------------------------
  function lock(message) {
    state.locked = true;
    if (tokenRequired) {
      sessionStorage.removeItem(TOKEN_KEY);
      $("token-form").hidden = false;
      $("token").focus();
    }
    say(message, "error");
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    $("token-form").hidden = true;
    state.locked = false;
    state.cursor = null;
    poll(true).then(() => { if (!state.locked) say("Unlocked."); });
  });

  // --- requests -------------------------------------------------------------------------
  function modelOf(entry) {
    const p = entry.params || {};
    const fields = p.fields || {};
    if (entry.images && entry.images.length) return entry.images[0].model;
    return (typeof p.model === "string" && p.model) || (typeof fields.model === "string" && fields.model) || "";
  }

  // The prompt asked (a JSON body's, or a multipart field's), its first 80 characters.
  const PROMPT_SHOWN = 80;
  function promptOf(entry) {
    const p = entry.params || {};
    const fields = p.fields || {};
    const prompt = typeof p.prompt === "string" ? p.prompt : typeof fields.prompt === "string" ? fields.prompt : "";
    const chars = [...prompt];
    return chars.length > PROMPT_SHOWN ? `${chars.slice(0, PROMPT_SHOWN).join("")}…` : prompt;
  }

  function statusCell(entry) {
    if (entry.status === null) return h("span", { class: "badge dropped", text: "dropped" });
    const band = entry.status >= 500 ? "s5" : entry.status >= 400 ? "s4" : "s2";
    return h("span", { class: `badge ${band}`, text: String(entry.status) });
  }

  function errorCell(entry) {
    return [
      entry.error_code ? h("code", { text: entry.error_code }) : null,
      entry.fault ? h("span", { class: "badge fault", text: `fault: ${entry.fault}` }) : null,
      entry.would_fail_today ? h("span", {
        class: "badge today", title: `Would fail today: ${entry.would_fail_today}`, text: "fails today",
      }) : null,
    ];
  }

  function imageUrl(id) {
    if (!imageUrls.has(id)) {
      const promise = fetch(`/_mock/images/${encodeURIComponent(id)}`, { headers: headers(false) })
        .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(r.status === 404 ? "no longer kept" : `HTTP ${r.status}`))))
        .then((blob) => URL.createObjectURL(blob));
      promise.catch(() => imageUrls.delete(id));
      imageUrls.set(id, promise);
    }
    return imageUrls.get(id);
  }

  // A row's thumbnails load when the row scrolls into view (rows, not images, are watched:
  // a wide table may hold the images beyond its scrolled edge).
  const lazy = "IntersectionObserver" in window ? new IntersectionObserver((seen) => {
    for (const item of seen) {
      if (!item.isIntersecting) continue;
      lazy.unobserve(item.target);
      item.target.querySelectorAll("img[data-id]").forEach(load);
    }
  }, { rootMargin: "300px 0px" }) : null;

  function load(img) {
    imageUrl(img.dataset.id).then((url) => { img.src = url; }, (error) => {
      img.closest(".thumb").classList.add("missing");
      img.alt = `image ${error.message}`;
    });
  }

  function expiryText(ref) {
    if (ref.expires_at === null) return "b64_json: no URL";
    if (state.now !== null && state.now > ref.expires_at) return `URL expired ${duration(state.now - ref.expires_at)} ago`;
    return state.now === null ? "URL" : `URL valid ${duration(ref.expires_at - state.now)} more`;
  }

  function thumb(ref, index, entry, big) {
    const img = h("img", { alt: `image ${index + 1}: ${ref.width}×${ref.height} ${ref.format}`, "data-id": ref.id, decoding: "async" });
    const button = h("button", {
      type: "button", class: `thumb${big ? " big" : ""}`, "data-id": ref.id,
      "data-expires": ref.expires_at === null ? null : String(ref.expires_at),
      title: `${ref.width}×${ref.height} ${ref.format} · ${expiryText(ref)}`,
      "aria-label": `Open image ${index + 1} of request ${entry.id} at full size`,
      onclick: (event) => { event.stopPropagation(); openImage(ref, index, entry); },
    }, img, h("span", { class: "tag", "aria-hidden": "true" }));
    if (!lazy || big) load(img);
    markExpiry(button);
    return button;
  }

  function markExpiry(button) {
    const expires = button.dataset.expires;
    const expired = expires !== undefined && state.now !== null && state.now > Number(expires);
    button.classList.toggle("expired", expired);
    const tag = button.querySelector(".tag");
    tag.textContent = expired ? "expired" : expires === undefined ? "b64" : "url";
  }

  function row(entry) {
    const images = entry.images || [];
    const open = () => openEntry(entry);
    const marks = [entry.fault ? "faulted" : "", entry.would_fail_today ? "would-fail-today" : ""].filter(Boolean);
    const tr = h("tr", {
      "data-id": entry.id || "", class: marks.length ? marks.join(" ") : null,
      "data-would-fail-today": entry.would_fail_today || null,
    },
      h("td", { "data-label": "Time" }, h("button", {
        type: "button", class: "link", "aria-haspopup": "dialog", title: clockText(entry.time),
        "aria-label": `Open request ${entry.id} at ${timeText(entry.time)}`, onclick: open,
      }, timeText(entry.time))),
      h("td", { "data-label": "Status" }, statusCell(entry)),
      h("td", { "data-label": "Method", text: entry.method }),
      h("td", { "data-label": "Endpoint", text: entry.endpoint || entry.path }),
      h("td", { "data-label": "Model", text: modelOf(entry) }),
      h("td", { "data-label": "Prompt", class: "prompt", text: promptOf(entry) }),
      h("td", { "data-label": "Error" }, h("div", { class: "error-cell" }, errorCell(entry))),
      h("td", { "data-label": "ms", class: "num", text: entry.duration_ms === null ? "" : entry.duration_ms.toFixed(1) }),
      h("td", { "data-label": "Images" }, h("div", { class: "thumbs" },
        images.slice(0, 4).map((ref, i) => thumb(ref, i, entry, false)),
        images.length > 4 ? h("span", { class: "more", text: `+${images.length - 4}` }) : null)),
      h("td", { "data-label": "Key" }, entry.api_key ? keyCode(entry.api_key) : ""),
      h("td", { "data-label": "Request id" }, h("code", { class: "rid", text: entry.id || "" })),
    );
    for (const td of tr.cells) if (!td.textContent && !td.querySelector("button")) td.classList.add("blank");
    tr.addEventListener("click", (event) => { if (!event.target.closest("button")) open(); });
    if (lazy && images.length) lazy.observe(tr);
    return tr;
  }

  function forget(tr) {
    // The images of a row that leaves the table are let go (the browser holds each one's bytes).
    for (const img of tr.querySelectorAll("img[data-id]")) {
      const url = imageUrls.get(img.dataset.id);
      imageUrls.delete(img.dataset.id);
      if (url) url.then((u) => URL.revokeObjectURL(u), () => {});
    }
    tr.remove();
  }

  function showRequests(data) {
    const body = $("requests-body");
    if (data.complete) [...body.rows].forEach(forget);
    const rows = data.requests.slice(-MAX_ROWS).map(row).reverse(); // the journal is oldest first
    body.prepend(...rows);
    while (body.rows.length > MAX_ROWS) forget(body.lastElementChild);
    $("requests-empty").hidden = body.rows.length > 0;
    $("requests-count").textContent = body.rows.length ? `(${body.rows.length}${body.rows.length === MAX_ROWS ? "+" : ""})` : "";
    state.cursor = data.cursor;
  }

  // --- dialogs ------------------------------------------------------------------------
  function openEntry(entry) {
    const fields = [
      ["Time", clockText(entry.time)], ["Request", `${entry.method} ${entry.path}`],
      ["Status", entry.status === null ? "connection dropped" : String(entry.status)],
      ["Error", [entry.error_type, entry.error_code].filter(Boolean).join(" · ") || "—"],
      ["Fault", entry.fault || "—"], ["Would fail today", entry.would_fail_today || "—"],
      ["Server time", `${entry.duration_ms} ms`],
      ["Key", entry.api_key || "—"], ["Request id", entry.id],
    ];
    const images = entry.images || [];
    $("entry-title").textContent = `${entry.method} ${entry.endpoint || entry.path} · ${entry.status ?? "dropped"}`;
    $("entry-body").replaceChildren(
      h("dl", { class: "facts" }, fields.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
      images.length ? h("h3", { text: `Images (${images.length})` }) : null,
      images.length ? h("div", { class: "thumbs big" }, images.map((ref, i) => h("figure", {},
        thumb(ref, i, entry, true),
        h("figcaption", { text: `${ref.width}×${ref.height} ${ref.format} · ${expiryText(ref)}` })))) : null,
      h("h3", { text: "Parameters" }),
      entry.params_cut ? h("p", { class: "hint", text: "Cut to fit the journal: each cut is marked with …" }) : null,
      h("pre", { class: "json", text: JSON.stringify(entry.params, null, 2) }),
      h("details", {}, h("summary", { text: "The whole journal entry" }),
        h("pre", { class: "json", text: JSON.stringify(entry, null, 2) })),
    );
    $("entry-dialog").showModal();
  }

  function openImage(ref, index, entry) {
    const img = h("img", { alt: `image ${index + 1} of request ${entry.id}, ${ref.width}×${ref.height} ${ref.format}` });
    imageUrl(ref.id).then((url) => { img.src = url; }, (error) => { img.alt = `image ${error.message}`; });
    $("image-title").textContent = `Image ${index + 1} · ${ref.width}×${ref.height} ${ref.format}`;
    $("image-body").replaceChildren(
      h("p", { class: "hint", text: `${ref.response_format} · ${expiryText(ref)} · request ${entry.id}` }), img);
    $("image-dialog").showModal();
  }

  // --- clock, quotas, faults, config ----------------------------------------------------
  function showClock(clock) {
    state.now = clock.now;
    state.frozen = clock.frozen;
    const ahead = clock.now - Date.now() / 1000;
    const where = Math.abs(ahead) < 2 ? "real time" : ahead > 0 ? `${duration(ahead)} ahead of real time` : `${duration(-ahead)} behind real time`;
    $("clock-now").textContent = clockText(clock.now);
    $("top-clock").textContent = clockText(clock.now);
    $("clock-state").textContent = `${clock.frozen ? "Frozen" : "Running"} · ${where}`;
    $("top-clock-state").textContent = clock.frozen ? "frozen" : Math.abs(ahead) < 2 ? "real time" : "moved";
    $("top-clock-state").dataset.kind = clock.frozen ? "frozen" : Math.abs(ahead) < 2 ? "real" : "moved";
    const freeze = $("freeze");
    freeze.textContent = clock.frozen ? "Unfreeze" : "Freeze";
    freeze.setAttribute("aria-pressed", String(clock.frozen));
    document.querySelectorAll(".thumb[data-expires]").forEach(markExpiry);
  }

  function showQuotas(data) {
    $("quota-windows").textContent = data.quota_mode !== "normal"
      ? `Quota mode: ${data.quota_mode} (every request is refused).`
      : data.windows.length ? `Per key, images over ${data.windows.join(" and ")}.` : "Quotas are off.";
    const keys = data.keys.filter((k) => k.windows.some((w) => w.used > 0));
    $("quotas").replaceChildren(...(keys.length ? keys.map((key) => h("div", { class: "quota" },
      h("h3", {}, keyCode(key.key), key.family ? ` · ${key.family}` : ""),
      key.windows.map((w) => {
        const ratio = Math.min(1, w.used / w.limit);
        const level = ratio >= 1 ? "full" : ratio >= 0.8 ? "high" : "ok";
        return h("div", { class: "window" },
          h("div", { class: "window-text" },
            h("span", { class: "window-name", text: w.window }),
            h("span", { text: `${w.used} / ${w.limit} images` }),
            h("span", { class: "hint", text: w.used ? `frees in ${duration(w.reset_seconds)}` : "empty" })),
          h("div", {
            class: `bar ${level}`, role: "meter", "aria-valuemin": "0", "aria-valuemax": String(w.limit),
            "aria-valuenow": String(w.used), "aria-label": `${key.key}, ${w.window}: ${w.used} of ${w.limit} images used`,
          }, h("span", { style: null, class: "fill" })));
      }))) : [h("p", { class: "empty", text: data.windows.length ? "No image counted in any window." : "" })]));
    // Widths set through CSSOM: the page's policy allows no inline style attribute.
    const fills = $("quotas").querySelectorAll(".bar");
    fills.forEach((bar) => {
      bar.firstElementChild.style.width = `${Math.min(100, (100 * Number(bar.getAttribute("aria-valuenow"))) / Number(bar.getAttribute("aria-valuemax")))}%`;
    });
  }

  function showFaults(data) {
    // Rebuilt only when the queue changed, so a focused Remove button keeps its focus.
    const seen = JSON.stringify(data.faults);
    if (seen === state.faults) return;
    state.faults = seen;
    const body = $("faults-body");
    body.replaceChildren(...data.faults.map((f) => h("tr", { "data-id": f.id },
      h("td", { "data-label": "Kind", text: f.kind }),
      h("td", { "data-label": "Endpoint", text: f.endpoint }),
      h("td", { "data-label": "Status", text: f.kind === "status" || f.kind === "malformed_json" || f.kind === "truncated" ? String(f.status) : "—" }),
      h("td", { "data-label": "Fired", class: "num", text: `${f.fired} / ${f.count === null ? "∞" : f.count}` }),
      h("td", {}, h("button", {
        type: "button", class: "quiet small", "aria-label": `Remove the ${f.kind} fault on ${f.endpoint}`,
        onclick: () => act("Fault removed.", "DELETE", `/_mock/faults/${encodeURIComponent(f.id)}`),
      }, "Remove")))));
    $("faults-empty").hidden = data.faults.length > 0;
    $("clear-faults").hidden = data.faults.length === 0;
  }

  function showConfig(config) {
    $("config").replaceChildren(...Object.entries(config).map(([name, value]) => [
      h("dt", { text: name }),
      h("dd", { text: value === null ? "—" : Array.isArray(value) ? (value.join(", ") || "(none)") : String(value) }),
    ]).flat());
  }

  // --- polling ------------------------------------------------------------------------
  async function poll(now) {
    if (tokenRequired && !token()) { lock("Give the admin token to see and steer this fake."); return; }
    // Only the newest rows it can show, within the fake's page bytes: a long journal, or one
    // full of large entries, is never fetched whole (skipped rows make the answer "complete").
    const after = state.cursor ? `&after=${encodeURIComponent(state.cursor)}` : "";
    try {
      const wantConfig = now || state.ticks % 5 === 0;
      const [requests, clock, faults, quotas, config] = await Promise.all([
        call("GET", `/_mock/requests?newest=true&limit=${MAX_ROWS}${after}`), call("GET", "/_mock/clock"), call("GET", "/_mock/faults"),
        call("GET", "/_mock/quotas"), wantConfig ? call("GET", "/_mock/config") : null,
      ]);
      showClock(clock);
      showRequests(requests);
      showFaults(faults);
      showQuotas(quotas);
      if (config) showConfig(config);
      state.ticks += 1;
      document.body.dataset.polled = String(state.ticks);
    } catch (error) {
      if (!(error instanceof Locked)) say(`The fake does not answer: ${error.message}`, "error");
    }
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = null;
    if (document.hidden || state.locked) return; // nobody watching: no request at all
    state.timer = setTimeout(async () => { await poll(false); schedule(); }, POLL_MS);
  }
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(true).then(schedule); else schedule(); });
  $("token-form").addEventListener("submit", () => setTimeout(schedule, 0));

  // --- actions ------------------------------------------------------------------------
  document.querySelectorAll("[data-advance]").forEach((button) => button.addEventListener("click", () =>
    act(`Clock advanced by ${duration(Number(button.dataset.advance))}.`, "POST", "/_mock/clock", { advance: Number(button.dataset.advance) })));
  $("advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Number($("advance-by").value) * Number($("advance-unit").value);
    act(`Clock advanced by ${duration(seconds)}.`, "POST", "/_mock/clock", { advance: seconds });
  });
  $("freeze").addEventListener("click", () =>
    act(state.frozen ? "Clock running." : "Clock frozen.", "POST", "/_mock/clock", { freeze: !state.frozen }));
  $("real-time").addEventListener("click", () => act("Clock back to real time.", "POST", "/_mock/clock", { real_time: true }));
  $("reset").addEventListener("click", () => act("The fake was reset.", "POST", "/_mock/reset", {}));
  $("clear-faults").addEventListener("click", () => act("All faults removed.", "DELETE", "/_mock/faults"));
  $("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const fault = { endpoint: form.get("endpoint"), kind: form.get("kind") };
    for (const name of ["status", "count", "after", "delay_ms", "retry_after"]) {
      const value = form.get(name);
      if (value !== null && value !== "") fault[name] = Number(value);
    }
    act(`Fault queued: ${fault.kind} on ${fault.endpoint}.`, "POST", "/_mock/faults", fault);
  });

  $("base-url").textContent = `${location.origin}/v1`;
  poll(true).then(schedule);
})();
