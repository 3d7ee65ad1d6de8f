// Collision detection in the ticket workspace: tell the others when this agent starts or stops writing, and leave
// the ticket's presence list at once when the page goes away. The polling itself is htmx (see _presence_bar.html).
(function () {
  "use strict";

  var IDLE_MS = 30000; // a composer untouched this long counts as viewing again
  var idleTimer = null;

  function presenceForm() {
    return document.getElementById("presence");
  }

  function setState(state) {
    var form = presenceForm();
    if (!form) return;
    var input = form.querySelector("[data-presence-state]");
    if (!input || input.value === state) return;
    input.value = state;
    if (window.htmx) window.htmx.trigger(form, "presence-change");
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("#composer textarea[name=body]")) return;
    setState(box.value.trim() ? "replying" : "viewing");
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { setState("viewing"); }, IDLE_MS);
  });

  document.addEventListener("submit", function (event) {
    if (event.target.id === "composer") setState("viewing");
  });

  function leave() {
    var form = presenceForm();
    if (!form || !navigator.sendBeacon) return;
    var token = form.querySelector("input[name=csrf_token]");
    var data = new FormData();
    if (token) data.append("csrf_token", token.value);
    navigator.sendBeacon(form.getAttribute("data-leave-url"), data);
  }
  window.addEventListener("pagehide", leave);
  // Boosted navigation replaces the page without unloading it: leave before the swap.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = presenceForm();
    if (form && event.detail.target && event.detail.target.contains(form) && event.detail.target !== form) leave();
  });
})();
