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
  // htmx: show server errors in the flash area instead of swallowing them.
  document.body.addEventListener("htmx:responseError", function (ev) {
    const flash = document.getElementById("flash");
    if (flash && ev.detail.xhr && ev.detail.xhr.responseText && ev.detail.xhr.status !== 422) {
      flash.innerHTML = ev.detail.xhr.responseText;
    }
  });
})();
