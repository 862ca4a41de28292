// The page's words, translated by the server (templates/bidding/_messages.html): t("key", {n: 1}).
let table = null;

export function t(key, params = {}) {
  if (table === null) table = JSON.parse(document.getElementById("bid-messages")?.textContent || "{}");
  const text = table[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}
