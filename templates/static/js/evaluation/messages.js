// The evaluation pages' words, translated by the server (templates/evaluation/_messages.html): t("key", {max: 40}).
let table = null;

export function t(key, params = {}) {
  if (table === null) table = JSON.parse(document.getElementById("evaluation-messages")?.textContent || "{}");
  const text = table[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}
