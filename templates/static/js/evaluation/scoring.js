// The scoring forms of the evaluation room (templates/evaluation/room.html): each criterion's
// points checked as they are typed (0 to the criterion's points, two decimal places at most),
// the error shown at the field, the running total kept. The server checks again on saving.

import { t } from "./messages.js";

const POINTS = /^\d{1,3}(\.\d{1,2})?$/;

// Hundredths as integers: no floating-point sums of decimal points.
function hundredths(text) {
  const [whole, fraction = ""] = text.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

function problem(input) {
  const text = input.value.trim();
  if (text === "") return t("points_empty");
  if (!POINTS.test(text)) return t("points_format");
  if (hundredths(text) > hundredths(input.dataset.max)) return t("points_range", { max: input.dataset.max });
  return "";
}

function show(input, message) {
  const line = document.getElementById(`${input.id}-error`);
  line.querySelector(".message").textContent = message;
  line.hidden = !message;
  input.closest(".field").classList.toggle("has-error", !!message);
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function total(form) {
  const inputs = [...form.querySelectorAll("input[data-max]")];
  const output = document.getElementById(form.dataset.totalId);
  if (inputs.some((input) => problem(input))) {
    output.textContent = "—";
    return;
  }
  const sum = inputs.reduce((acc, input) => acc + hundredths(input.value.trim()), 0);
  output.textContent = `${Math.floor(sum / 100)}.${String(sum % 100).padStart(2, "0")}`;
}

for (const form of document.querySelectorAll("form.sheet-form")) {
  const inputs = [...form.querySelectorAll("input[data-max]")];
  for (const input of inputs) {
    // Live while typing, except an empty field: that is said when the member leaves it or saves.
    input.addEventListener("input", () => {
      const message = problem(input);
      show(input, message === t("points_empty") ? "" : message);
      total(form);
    });
    input.addEventListener("change", () => { show(input, problem(input)); total(form); });
  }
  form.addEventListener("submit", (event) => {
    const wrong = inputs.filter((input) => { const message = problem(input); show(input, message); return message; });
    if (wrong.length) {
      event.preventDefault();
      wrong[0].focus();
    }
  });
  total(form);
}
