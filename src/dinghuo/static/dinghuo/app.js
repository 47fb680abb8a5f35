// Small behaviours shared by every page. No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  // Confirm dangerous actions: <button data-confirm="…">.
  document.addEventListener("click", function (ev) {
    const el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }, true);
  // Disable a form's submit buttons once it is submitted, so a double tap sends one request.
  document.addEventListener("submit", function (ev) {
    const form = ev.target;
    if (form.hasAttribute("data-allow-resubmit")) return;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // Filters that apply as soon as they change: <select data-autosubmit> (instead of an inline onchange).
  document.addEventListener("change", function (ev) {
    const el = ev.target.closest("[data-autosubmit]");
    if (el && el.form) el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  });
  // "Back" links: <a data-back href="fallback"> go back in history when there is one.
  document.addEventListener("click", function (ev) {
    const el = ev.target.closest("a[data-back]");
    if (el && window.history.length > 1) {
      ev.preventDefault();
      window.history.back();
    }
  });
  // htmx: show server errors in the flash area instead of swallowing them.
  document.body.addEventListener("htmx:responseError", function (ev) {
    const flash = document.getElementById("flash");
    if (flash && ev.detail.xhr && ev.detail.xhr.responseText && ev.detail.xhr.status !== 422) {
      flash.innerHTML = ev.detail.xhr.responseText;
    }
  });
})();
