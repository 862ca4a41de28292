// The bid page (/tenders/{id}/bid): seal the files in this browser, upload the sealed envelope
// in parts, complete it into a bid, show and offer the signed receipt; withdraw.
// Only the sealed envelope leaves the page; the header is kept (IndexedDB) for the release.

import * as E from "/static/js/envelope/index.js";
import { ApiError, api, download, putPart } from "./bidding/api.js";
import { KeysPanel } from "./bidding/keys-panel.js";
import { t } from "./bidding/messages.js";
import * as store from "./bidding/store.js";

const PART_SIZE = 8 * 1024 * 1024;
const ATTEMPTS = 4;
const PRICE = /^(0|[1-9][0-9]{0,13})(\.[0-9]{1,2})?$/;
const root = document.getElementById("bid-page");
const tenderId = Number(root.dataset.tenderId);
const organisationId = Number(root.dataset.organisationId);
const percent = (done, total) => `${total ? Math.floor((100 * done) / total) : 100}%`;
let lastReceipt = null;
// As the server shows times: Beijing time, 2026-01-06 10:00:00.
const BEIJING = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", dateStyle: "short", timeStyle: "medium" });

const keys = new KeysPanel((panel) => {
  for (const button of document.querySelectorAll("form.lot-bid button[type=submit]")) button.disabled = !panel.ready;
});

function fieldError(form, name, text) {
  const input = form.querySelector(`[name=${name}]`);
  const error = document.getElementById(`${input.id}-error`);
  error.textContent = text;
  error.hidden = !text;
  if (text) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `${input.id}-error ${input.id}-hint`.trim());
  } else {
    input.removeAttribute("aria-invalid");
  }
  return !text;
}

function readForm(form) {
  const price = form.price.value.replace(/[,，\s]/g, "");
  const duration = form.duration_days.value.trim();
  const files = [...form.files.files];
  const ok = [
    fieldError(form, "price", PRICE.test(price) ? "" : t("price_required")),
    fieldError(form, "duration_days", !duration || /^[1-9][0-9]{0,4}$/.test(duration) ? "" : t("duration_invalid")),
    fieldError(form, "files", files.length ? "" : t("files_required")),
  ];
  if (!ok.every(Boolean)) {
    form.querySelector("[aria-invalid=true]")?.focus();
    return null;
  }
  const fields = { price, currency: "CNY" };
  if (duration) fields.duration_days = Number(duration);
  return { fields, files };
}

function progress(form, done, total, text) {
  form.querySelector(".seal-progress").hidden = false;
  const bar = form.querySelector("progress");
  bar.max = Math.max(total, 1);
  bar.value = done;
  form.querySelector(".progress-text").textContent = text;
}

// Send the parts; a part that fails is sent again after asking which parts arrived (resume).
async function upload(form, uploadId, blob) {
  const count = Math.max(1, Math.ceil(blob.size / PART_SIZE));
  let arrived = new Map();
  for (let attempt = 1; ; attempt++) {
    try {
      for (let n = 1; n <= count; n++) {
        const start = (n - 1) * PART_SIZE;
        const part = blob.slice(start, Math.min(start + PART_SIZE, blob.size));
        if (arrived.get(n) === part.size) continue;
        await putPart(`/api/bid-uploads/${uploadId}/parts/${n}`, part,
          (loaded) => progress(form, start + loaded, blob.size, t("uploading", { percent: percent(start + loaded, blob.size) })));
        arrived.set(n, part.size);
      }
      return;
    } catch (error) {
      if (attempt >= ATTEMPTS || (error instanceof ApiError && error.status >= 400 && error.status < 500)) throw error;
      progress(form, 0, 1, t("retrying", { attempt }));
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      const state = await api("GET", `/api/bid-uploads/${uploadId}`).catch(() => null);
      if (state) arrived = new Map(state.parts.map((p) => [p.number, p.size]));
    }
  }
}

async function sealAndSubmit(form) {
  const message = form.querySelector(".lot-message");
  message.textContent = "";
  if (!keys.ready) { message.textContent = t("need_keys"); return; }
  const input = readForm(form);
  if (!input) return;
  const lot = Number(form.dataset.lot);
  const version = Number(form.dataset.version);
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const sealed = await E.seal({
      binding: { tenderId, lotNumber: lot, organisationId, bidVersion: version },
      fields: input.fields,
      files: input.files,
      recipients: [keys.keys.x25519Public, ...(await openingKey())],
      signer: keys.keys.ed25519,
      onProgress: ({ phase, done, total }) => progress(form, done, total,
        t(phase === "measure" ? "measuring" : "sealing", { percent: percent(done, total) })),
    });
    const blob = await sealed.toBlob();
    progress(form, 1, 1, t("sealing", { percent: "100%" }));
    const started = await api("POST", `/api/tenders/${tenderId}/lots/${lot}/bid-uploads`, { bid_version: version, size: blob.size });
    await upload(form, started.id, blob);
    progress(form, 1, 1, t("completing"));
    const bid = await api("POST", `/api/bid-uploads/${started.id}/complete`, { signature: E.toBase64(sealed.signature) });
    await store.saveHeader(bid.id, sealed.header.bytes).catch(() => {});
    form.reset();
    progress(form, 1, 1, t("submitted", { version: bid.version, lot: bid.lot_number }));
    showReceipt(bid);
    await refresh();
  } catch (error) {
    message.textContent = error.message || String(error);
  } finally {
    button.disabled = !keys.ready;
  }
}

// A tender with an opening key (k-of-n custodians) needs every envelope wrapped to it as well.
async function openingKey() {
  try {
    const key = await api("GET", `/api/tenders/${tenderId}/opening-key`);
    return [E.fromBase64(key.public_key)];
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
}

function showReceipt(bid) {
  lastReceipt = { receipt: bid.receipt, receipt_signature: bid.receipt_signature };
  const section = document.getElementById("receipt");
  const set = (name, text) => { section.querySelector(`[data-receipt=${name}]`).textContent = text; };
  const audit = bid.receipt.audit;
  set("id", String(bid.id));
  set("lot-version", `${bid.lot_number} / ${bid.version}`);
  set("sha256", bid.envelope_sha256);
  set("received", BEIJING.format(new Date(bid.receipt.bid.received_at || bid.submitted_at)));
  set("audit", t("audit_position", { seq: audit.entry.seq, size: audit.checkpoint.tree_size }));
  section.hidden = false;
  section.dataset.bidId = String(bid.id);
  section.focus();
}

// The server renders the bid list and each lot's next version: fetch this page again and take them.
async function refresh() {
  const response = await fetch(location.pathname, { credentials: "same-origin" });
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  document.querySelector("#my-bids tbody").replaceWith(fresh.querySelector("#my-bids tbody"));
  document.getElementById("no-bids").hidden = fresh.getElementById("no-bids").hidden;
  for (const form of document.querySelectorAll("form.lot-bid")) {
    const other = fresh.getElementById(form.id);
    if (!other) continue;
    form.dataset.version = other.dataset.version;
    form.querySelector(".next-version").textContent = other.dataset.version;
  }
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.withdraw");
  if (!button) return;
  const id = button.dataset.bid;
  if (!window.confirm(t("confirm_withdraw", { id }))) return;
  const status = document.getElementById("bids-message");
  try {
    await api("POST", `/api/bids/${id}/withdraw`);
    status.textContent = t("withdrawn", { id });
    await refresh();
  } catch (error) {
    status.textContent = error.message;
  }
});

document.getElementById("download-receipt").addEventListener("click", () => {
  if (!lastReceipt) return;
  const id = document.getElementById("receipt").dataset.bidId;
  download(`bid-${id}.receipt.json`, new Blob([JSON.stringify(lastReceipt, null, 2)], { type: "application/json" }));
});

for (const form of document.querySelectorAll("form.lot-bid")) {
  form.addEventListener("submit", (event) => { event.preventDefault(); sealAndSubmit(form); });
}
keys.load();
