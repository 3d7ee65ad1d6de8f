// The little glue the pages need. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="#selector">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // A form submits once: a second click while the first request runs does nothing.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
    if (form.dataset.submitting === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    form.querySelectorAll("[data-submit-once]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
  });

  // After htmx swaps a form in with errors, move focus to the first invalid field.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target) return;  // history restores swap without a target
    var invalid = event.detail.target.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
  });

  // The session expired during an htmx request: go to the sign-in page.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 401 || xhr.status === 403 || xhr.status >= 500) {
      var flashes = document.getElementById("flashes");
      if (flashes) {
        var div = document.createElement("div");
        div.className = "flash flash-error";
        div.setAttribute("role", "alert");
        div.textContent = xhr.status >= 500 ? "Something went wrong on our side. Please try again." : "You are not allowed to do that, or your session ended. Reload the page.";
        flashes.appendChild(div);
      }
    }
  });
})();

// Filter forms: leave empty fields out of the URL, so a pushed or bookmarked address stays short.
document.addEventListener("htmx:configRequest", function (event) {
  if (event.detail.verb !== "get") return;
  var params = event.detail.parameters;
  Object.keys(params).forEach(function (name) {
    if (params[name] === "") delete params[name];
  });
});

// Back to a page from the browser cache: its forms may be submitted again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitting]").forEach(function (form) {
    delete form.dataset.submitting;
    form.querySelectorAll("[data-submit-once]").forEach(function (b) { b.removeAttribute("aria-disabled"); });
  });
});
