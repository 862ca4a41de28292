// What the bidder's browser keeps between pages (IndexedDB, this origin only):
// - "keys": per user, the private keys as NON-extractable CryptoKeys. Script can use them to
//   sign and unwrap but cannot read their bytes, so they survive a reload (the opening comes
//   days after sealing) without being readable by anything running in the page. The key
//   file (passphrase-protected) is the backup, and the way to move them to another machine.
// - "headers": per bid id, the sealed envelope's header bytes (public data: wrapped keys and
//   the commitment), which is all the release at the opening needs besides the private key.

const DB_NAME = "procurement-bidding";
const VERSION = 1;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("keys")) db.createObjectStore("keys");
      if (!db.objectStoreNames.contains("headers")) db.createObjectStore("headers");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(storeName, mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      const request = action(tx.objectStore(storeName));
      tx.oncomplete = () => resolve(request?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const loadKeys = (userId) => run("keys", "readonly", (s) => s.get(`user:${userId}`));
export const saveKeys = (userId, keys) => run("keys", "readwrite", (s) => s.put(keys, `user:${userId}`));
export const forgetKeys = (userId) => run("keys", "readwrite", (s) => s.delete(`user:${userId}`));
export const loadHeader = (bidId) => run("headers", "readonly", (s) => s.get(`bid:${bidId}`));
export const saveHeader = (bidId, bytes) => run("headers", "readwrite", (s) => s.put(bytes, `bid:${bidId}`));
