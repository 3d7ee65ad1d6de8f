// SLA policy pages: minutes typed into a target are read back as "4 h", "1 d 2 h"; after a move the moved row's
// button keeps the focus, so a keyboard user can press it again.
(function () {
  "use strict";

  function describe(minutes) {
    if (!/^\d{1,7}$/.test(minutes) || Number(minutes) < 1) return "";
    var total = Number(minutes);
    var days = Math.floor(total / 1440);
    var hours = Math.floor((total % 1440) / 60);
    var rest = total % 60;
    return [days ? days + " d" : "", hours ? hours + " h" : "", rest ? rest + " min" : ""]
      .filter(Boolean).join(" ");
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-minutes]")) return;
    var output = document.getElementById(input.id + "-text");
    if (output) output.textContent = describe(input.value.trim());
  });

  var lastMove = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var button = elt && elt.querySelector ? elt.querySelector("[data-move]") : null;
    lastMove = button ? button.getAttribute("data-move") : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!lastMove) return;
    var row = document.querySelector("#sla-list tr[data-moved]");
    var button = row && (row.querySelector('[data-move="' + lastMove + '"]') || row.querySelector("[data-move]"));
    lastMove = null;
    if (button) button.focus();
  });
})();
