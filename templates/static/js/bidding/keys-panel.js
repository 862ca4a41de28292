// The keys panel (templates/bidding/_keys.html): generate and register, import, export, forget.
// Private keys: non-extractable copies in IndexedDB (store.js); the extractable set (needed to
// write a key file) only in this page's memory, right after generating or importing.

import * as E from "/static/js/envelope/index.js";
import { api, download } from "./api.js";
import { t } from "./messages.js";
import * as store from "./store.js";

const $ = (id) => document.getElementById(id);

async function nonExtractable(keys) {
  const { exportPrivateKey, importPrivateKey } = await import("/static/js/envelope/keys.js");
  return {
    label: keys.label,
    x25519: await importPrivateKey("X25519", await exportPrivateKey(keys.x25519), false),
    ed25519: await importPrivateKey("Ed25519", await exportPrivateKey(keys.ed25519), false),
    x25519Public: keys.x25519Public,
    ed25519Public: keys.ed25519Public,
  };
}

export class KeysPanel {
  constructor(onChange = () => {}) {
    this.root = $("keys-panel");
    this.userId = this.root.dataset.userId;
    this.keys = null; // usable keys (from IndexedDB or just made)
    this.exportable = null; // the extractable set, in memory only
    this.registered = false;
    this.onChange = onChange;
    $("generate-form").addEventListener("submit", (e) => { e.preventDefault(); this.guard(() => this.generate()); });
    $("import-form").addEventListener("submit", (e) => { e.preventDefault(); this.guard(() => this.importFile()); });
    $("register-keys").addEventListener("click", () => this.guard(() => this.register()));
    $("forget-keys").addEventListener("click", () => this.guard(() => this.forget()));
    $("export-keys").addEventListener("click", () => { $("export-form-holder").hidden = false; $("export-passphrase").focus(); });
    $("export-form").addEventListener("submit", (e) => { e.preventDefault(); this.guard(() => this.exportFile()); });
  }

  async guard(action) {
    this.message("");
    const buttons = this.root.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await action();
    } catch (error) {
      this.message(error.message || String(error));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      await this.render();
    }
  }

  message(text, kind = "error") {
    const line = $("keys-message");
    line.textContent = text;
    line.dataset.kind = kind;
  }

  async load() {
    if (!window.isSecureContext || !crypto.subtle) {
      $("keys-state").textContent = t("insecure");
      return;
    }
    try {
      this.keys = (await store.loadKeys(this.userId)) || null;
    } catch {
      this.keys = null; // private browsing without IndexedDB: keys live in memory only
    }
    await this.render();
  }

  async checkRegistered() {
    if (!this.keys) return false;
    const mine = await api("GET", "/api/me/keys");
    const active = new Set(mine.filter((k) => !k.revoked_at).map((k) => `${k.algorithm}:${k.public_key}`));
    return active.has(`x25519:${E.toBase64(this.keys.x25519Public)}`) && active.has(`ed25519:${E.toBase64(this.keys.ed25519Public)}`);
  }

  async render() {
    this.registered = await this.checkRegistered().catch(() => false);
    const state = $("keys-state");
    if (!this.keys) {
      state.textContent = t("no_keys");
    } else {
      const id = E.toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", this.keys.x25519Public))).slice(0, 16);
      state.textContent = t(this.registered ? "keys_ready" : "keys_unregistered", { label: this.keys.label || "—", id });
    }
    state.dataset.state = !this.keys ? "none" : this.registered ? "ready" : "unregistered";
    $("register-keys").hidden = !this.keys || this.registered;
    $("forget-keys").hidden = !this.keys;
    $("export-keys").hidden = !this.exportable;
    if (!this.exportable) $("export-form-holder").hidden = true;
    this.onChange(this);
  }

  get ready() { return !!this.keys && this.registered; }

  async keep(extractable) {
    this.exportable = extractable;
    this.keys = await nonExtractable(extractable);
    try {
      await store.saveKeys(this.userId, this.keys);
    } catch {
      this.message(t("not_stored"));
    }
  }

  async generate() {
    const passphrase = $("key-passphrase").value;
    if ([...passphrase].length < 12) throw new Error(t("passphrase_short"));
    if (passphrase !== $("key-passphrase-again").value) throw new Error(t("passphrase_mismatch"));
    $("keys-state").textContent = t("generating");
    const keys = await E.generateBidderKeys($("key-label").value.trim());
    const text = await E.writeKeyfile(keys, passphrase);
    download(`bid-keys-${new Date().toISOString().slice(0, 10)}.json`, new Blob([text], { type: "application/json" }));
    await this.keep(keys);
    await this.register();
    $("generate-form").reset();
    $("keys-generate").open = false;
    this.message(t("generated"), "ok");
  }

  async register() {
    for (const body of E.publicKeyRegistrations(this.keys)) {
      try {
        await api("POST", "/api/me/keys", body);
      } catch (error) {
        if (error.status !== 409) throw error; // already registered
      }
    }
  }

  async importFile() {
    const file = $("import-file").files[0];
    if (!file) throw new Error(t("choose_keyfile"));
    const keys = await E.readKeyfile(await file.text(), $("import-passphrase").value, { extractable: true });
    await this.keep(keys);
    $("import-form").reset();
    $("keys-import").open = false;
    this.message(t("imported"), "ok");
  }

  async exportFile() {
    const passphrase = $("export-passphrase").value;
    if ([...passphrase].length < 12) throw new Error(t("passphrase_short"));
    const text = await E.writeKeyfile(this.exportable, passphrase);
    download(`bid-keys-${new Date().toISOString().slice(0, 10)}.json`, new Blob([text], { type: "application/json" }));
    $("export-form").reset();
    $("export-form-holder").hidden = true;
  }

  async forget() {
    if (!window.confirm(t("confirm_forget"))) return;
    await store.forgetKeys(this.userId).catch(() => {});
    this.keys = null;
    this.exportable = null;
  }
}
