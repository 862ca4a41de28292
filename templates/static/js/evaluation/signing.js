// Signing the evaluation report (templates/evaluation/report.html) with the member's key file.
// The file is opened here with its passphrase (js/envelope/keyfile.js); the member signs
//   "procurement-evaluation-report/v1\n" + report digest (hex) + "\n" + dissent (UTF-8)
// with its Ed25519 key (docs/evaluation.md, "Signatures"), and only the signature is sent.

import { api } from "/static/js/bidding/api.js";
import { toBase64 } from "/static/js/envelope/bytes.js";
import { KeyFileError, WrongPassphrase } from "/static/js/envelope/errors.js";
import { readKeyfile } from "/static/js/envelope/keyfile.js";
import { t } from "./messages.js";

const form = document.getElementById("sign-form");
const status = document.getElementById("sign-status");
const failure = document.getElementById("sign-error");
const DOMAIN = "procurement-evaluation-report/v1\n";

function say(text) { status.textContent = text; }

function fail(text) {
  failure.textContent = text;
  failure.hidden = !text;
  if (text) say("");
}

// The registered, unrevoked Ed25519 key with this public half; registered now when it is not yet.
async function keyIdOf(publicKey) {
  const encoded = toBase64(publicKey);
  const mine = await api("GET", "/api/me/keys");
  const found = mine.find((k) => k.algorithm === "ed25519" && k.public_key === encoded && !k.revoked_at);
  if (found) return found.id;
  say(t("registering"));
  return (await api("POST", "/api/me/keys", { algorithm: "ed25519", public_key: encoded, label: "evaluation signing" })).id;
}

async function sign() {
  const file = document.getElementById("keyfile").files[0];
  if (!file) throw new Error(t("choose_keyfile"));
  say(t("opening_keyfile"));
  const keys = await readKeyfile(await file.text(), document.getElementById("passphrase").value, { extractable: false });
  const keyId = await keyIdOf(keys.ed25519Public);
  // The server strips the dissent before checking: sign exactly what it will check.
  const dissent = document.getElementById("dissent").value.trim();
  say(t("signing"));
  const message = new TextEncoder().encode(`${DOMAIN}${form.dataset.digest}\n${dissent}`);
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", keys.ed25519, message));
  const id = form.dataset.evaluationId;
  await api("POST", `/api/evaluations/${id}/signatures`, { key_id: keyId, signature: toBase64(signature), dissent });
  say(t("signed"));
  window.location.assign(`/evaluations/${id}/report?done=signed`);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  fail("");
  if (!window.isSecureContext || !crypto.subtle) {
    fail(t("insecure"));
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await sign();
  } catch (error) {
    // The key file's refusals are in English: say them in the page's language.
    if (error instanceof WrongPassphrase) fail(t("wrong_passphrase"));
    else if (error instanceof KeyFileError) fail(t("not_keyfile"));
    else fail(error.message || String(error));
  } finally {
    button.disabled = false;
  }
});
