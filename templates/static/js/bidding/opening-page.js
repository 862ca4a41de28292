// The opening room (/tenders/{id}/opening): the operator starts and closes the opening; a
// bidder releases each bid's content key, unwrapped here from the envelope header kept at
// sealing (or read from the envelope file) with its private key. Live status: the opening's
// progress is polled and announced politely; the tables are taken from the page again.

import * as E from "/static/js/envelope/index.js";
import { api } from "./api.js";
import { KeysPanel } from "./keys-panel.js";
import { t } from "./messages.js";
import * as store from "./store.js";

const POLL_MS = 4000;
const root = document.getElementById("opening-page");
const tenderId = Number(root.dataset.tenderId);
const errorLine = document.getElementById("opening-error");
const keys = document.getElementById("keys-panel") ? new KeysPanel() : null;
let seen = null;

function fail(error) { errorLine.textContent = error.message || String(error); }

document.getElementById("start-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorLine.textContent = "";
  try {
    await api("POST", `/api/tenders/${tenderId}/opening`, { release_minutes: Number(event.target.release_minutes.value) });
    location.reload();
  } catch (error) { fail(error); }
});

document.getElementById("close-opening")?.addEventListener("click", async () => {
  errorLine.textContent = "";
  try {
    await api("POST", `/api/tenders/${tenderId}/opening/close`);
    location.reload();
  } catch (error) { fail(error); }
});

async function headerOf(bidId) {
  const kept = await store.loadHeader(bidId).catch(() => null);
  if (kept) return E.parseHeader(new Uint8Array(kept));
  const fallback = document.querySelector(`li[data-bid="${bidId}"] .envelope-fallback`);
  const file = fallback?.querySelector("input").files[0];
  if (!file) {
    if (fallback) fallback.hidden = false;
    throw new Error(t("no_header", { id: bidId }));
  }
  return E.readHeader(file);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.release");
  if (!button) return;
  const id = button.dataset.bid;
  errorLine.textContent = "";
  button.disabled = true;
  try {
    if (!keys?.keys) throw new Error(t("need_keys"));
    const status = button.closest("li").querySelector(".bid-status");
    status.textContent = t("releasing");
    const contentKey = await E.unwrapContentKey(await headerOf(id), keys.keys.x25519);
    await api("POST", `/api/bids/${id}/release`, { content_key: E.toBase64(contentKey) });
    contentKey.fill(0);
    document.getElementById("opening-live").textContent = t("released", { id });
    await refresh();
  } catch (error) {
    fail(error);
    button.disabled = false;
  }
});

// Take the server-rendered parts again (status labels and prices come translated from it).
async function refresh() {
  const response = await fetch(location.pathname, { credentials: "same-origin" });
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  document.getElementById("opening-progress").replaceWith(fresh.getElementById("opening-progress"));
  const list = document.querySelector(".release-list");
  const freshList = fresh.querySelector(".release-list");
  if (list && freshList) {
    for (const item of freshList.querySelectorAll("li")) {
      const mine = list.querySelector(`li[data-bid="${item.dataset.bid}"]`);
      if (mine && mine.dataset.status !== item.dataset.status) mine.replaceWith(item);
    }
  }
}

async function poll() {
  if (root.dataset.started !== "yes" || root.dataset.closed === "yes") return;
  try {
    const state = await api("GET", `/api/tenders/${tenderId}/opening`);
    if (state.closed_at) { location.reload(); return; }
    const rows = Object.values(state.lots).flat();
    const released = rows.filter((r) => r.status !== "submitted").length;
    const summary = `${released}/${rows.length}`;
    if (summary !== seen) {
      if (seen !== null) await refresh();
      seen = summary;
      document.getElementById("opening-live").textContent = t("live_waiting", { released, total: rows.length });
    }
  } catch { /* keep polling: a blip must not stop the live status */ }
  setTimeout(poll, POLL_MS);
}

keys?.load();
poll();
