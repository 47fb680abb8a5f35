// Dealer portal behaviours. No inline scripts anywhere (the CSP forbids them); every page works
// without this file, which only makes it quicker to use.
(function () {
  "use strict";

  function closest(el, selector) { return el && el.closest ? el.closest(selector) : null; }

  // --- search boxes: a shorter placeholder where the long one would be cut off --------------------
  // (the header's box next to a long menu, e.g. with Finance and API keys at 1366px)
  let measure = null;
  function textWidth(text, style) {
    measure = measure || document.createElement("canvas").getContext("2d");
    measure.font = style.fontStyle + " " + style.fontWeight + " " + style.fontSize + " " + style.fontFamily;
    return measure.measureText(text).width;
  }
  function fitPlaceholder(input) {
    const full = input.getAttribute("data-placeholder-full") || input.getAttribute("placeholder") || "";
    const short = input.getAttribute("data-placeholder-short");
    if (!short || !input.offsetParent) return;
    input.setAttribute("data-placeholder-full", full);
    const style = window.getComputedStyle(input);
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    input.setAttribute("placeholder", textWidth(full, style) <= room ? full : short);
  }
  function fitPlaceholders() {
    document.querySelectorAll("input[data-placeholder-short]").forEach(fitPlaceholder);
  }
  let fitTimer;
  window.addEventListener("resize", function () {
    window.clearTimeout(fitTimer);
    fitTimer = window.setTimeout(fitPlaceholders, 100);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fitPlaceholders);
  else fitPlaceholders();
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(fitPlaceholders);

  // --- search suggestions: keyboard, open/close -------------------------------------------------
  function suggestBox(input) { return input.parentElement.querySelector(".dh-suggest"); }
  function items(box) { return Array.prototype.slice.call(box.querySelectorAll(".dh-suggest-item")); }

  document.addEventListener("keydown", function (ev) {
    const input = ev.target;
    if (!input.matches || !input.matches("input[data-suggest]")) return;
    const box = suggestBox(input);
    if (!box) return;
    const list = items(box);
    let index = list.findIndex(function (a) { return a.classList.contains("active"); });
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      if (!list.length) return;
      ev.preventDefault();
      box.classList.remove("dh-closed");
      if (index >= 0) list[index].classList.remove("active");
      index = ev.key === "ArrowDown" ? (index + 1) % list.length : (index - 1 + list.length) % list.length;
      list[index].classList.add("active");
      list[index].scrollIntoView({ block: "nearest" });
    } else if (ev.key === "Enter" && index >= 0 && !box.classList.contains("dh-closed")) {
      ev.preventDefault();
      window.location.href = list[index].href;
    } else if (ev.key === "Escape") {
      box.classList.add("dh-closed");
    }
  });
  document.addEventListener("focusin", function (ev) {
    if (ev.target.matches && ev.target.matches("input[data-suggest]")) {
      const box = suggestBox(ev.target);
      if (box) box.classList.remove("dh-closed");
    }
  });
  document.addEventListener("click", function (ev) {
    document.querySelectorAll(".dh-suggest").forEach(function (box) {
      if (!box.parentElement.contains(ev.target)) box.classList.add("dh-closed");
    });
  });
  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches("input[data-suggest]")) {
      const box = suggestBox(ev.target);
      if (!box) return;
      box.classList.remove("dh-closed");
      if (!ev.target.value.trim()) box.innerHTML = "";
    }
  });

  // --- quantity steppers -------------------------------------------------------------------------
  document.addEventListener("click", function (ev) {
    const button = closest(ev.target, "[data-step]");
    if (!button) return;
    const stepper = closest(button, ".dh-stepper");
    const input = stepper && stepper.querySelector(".dh-qty");
    if (!input) return;
    ev.preventDefault();
    const step = parseInt(button.getAttribute("data-step"), 10) || 0;
    const current = parseFloat(String(input.value).replace(",", ".")) || 0;
    const inCart = !!closest(button, ".dh-line-qty");
    const floor = inCart ? 0 : 1;
    let next = Math.round((current + step) * 1000) / 1000;
    if (next < floor) next = floor;
    if (next === current) return;
    input.value = String(next);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  // Typing a quantity in the cart re-prices when the field is left (change), not on every key.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && ev.target.matches && ev.target.matches(".dh-line-qty .dh-qty")) {
      ev.preventDefault();
      ev.target.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // --- forms that apply themselves (sort order, facets on wide screens, roles) ----------------------
  document.addEventListener("change", function (ev) {
    const form = closest(ev.target, "form[data-autosubmit]");
    if (!form) return;
    if (form.getAttribute("data-autosubmit") === "wide" && window.matchMedia("(max-width: 991.98px)").matches) return;
    if (ev.target.type === "text") return;  // price fields: apply with the button or Enter
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  // --- product page: the SKU selector and the gallery ---------------------------------------------
  document.addEventListener("click", function (ev) {
    const option = closest(ev.target, "[data-sku-opt]");
    if (option) {
      ev.preventDefault();
      const id = option.getAttribute("data-sku-opt");
      document.querySelectorAll("[data-sku-opt]").forEach(function (o) {
        const on = o === option;
        o.classList.toggle("active", on);
        o.setAttribute("aria-checked", on ? "true" : "false");
      });
      document.querySelectorAll("[data-sku-panel]").forEach(function (panel) {
        panel.hidden = panel.getAttribute("data-sku-panel") !== id;
      });
      if (window.history && window.history.replaceState) {
        const url = new URL(window.location.href);
        url.searchParams.set("sku", id);
        window.history.replaceState(null, "", url.toString());
      }
      return;
    }
    const thumb = closest(ev.target, "[data-gallery-thumb]");
    if (thumb) {
      const main = document.querySelector("[data-gallery-main]");
      if (main) main.src = thumb.getAttribute("data-gallery-thumb");
      document.querySelectorAll("[data-gallery-thumb]").forEach(function (t) { t.classList.toggle("active", t === thumb); });
    }
  });

  // --- toasts arriving with htmx answers ------------------------------------------------------------
  function showToasts() {
    if (!window.bootstrap) return;
    document.querySelectorAll("#toasts .toast:not(.dh-shown)").forEach(function (el) {
      el.classList.add("dh-shown");
      const delay = parseInt(el.getAttribute("data-autohide"), 10) || 2500;
      const toast = window.bootstrap.Toast.getOrCreateInstance(el, { delay: delay, autohide: true });
      el.addEventListener("hidden.bs.toast", function () { el.remove(); });
      toast.show();
    });
  }
  document.addEventListener("htmx:afterSettle", showToasts);
  document.addEventListener("htmx:oobAfterSwap", showToasts);

  // --- checkout: the credit part follows the prepaid and rebate amounts --------------------------------
  function cents(value) {
    const n = parseFloat(String(value || "").replace(/[,\s¥]/g, ""));
    return isFinite(n) && n > 0 ? Math.round(n * 100) : 0;
  }
  function money(c) {
    const sign = c < 0 ? "-" : "";
    c = Math.abs(c);
    const whole = Math.floor(c / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + "¥" + whole + "." + String(c % 100).padStart(2, "0");
  }
  function updateCredit(form) {
    const out = form.querySelector("[data-credit-out]");
    if (!out) return;
    const total = cents(form.getAttribute("data-total"));
    const prepaid = cents((form.querySelector("[name=pay_prepaid]") || {}).value);
    const rebate = cents((form.querySelector("[name=pay_rebate]") || {}).value);
    out.textContent = money(Math.max(total - prepaid - rebate, 0));
  }
  document.addEventListener("input", function (ev) {
    const form = closest(ev.target, "#checkout-form");
    if (form && (ev.target.name === "pay_prepaid" || ev.target.name === "pay_rebate")) updateCredit(form);
  });
  document.addEventListener("click", function (ev) {
    const button = closest(ev.target, "[data-fill]");
    if (!button) return;
    const form = closest(button, "#checkout-form");
    if (!form) return;
    const name = button.getAttribute("data-fill");
    const other = form.querySelector(name === "pay_prepaid" ? "[name=pay_rebate]" : "[name=pay_prepaid]");
    const room = Math.max(cents(form.getAttribute("data-total")) - cents(other && other.value), 0);
    const value = Math.min(cents(button.getAttribute("data-max")), room);
    const input = form.querySelector("[name=" + name + "]");
    if (input) {
      input.value = (value / 100).toFixed(2);
      updateCredit(form);
    }
  });
})();
