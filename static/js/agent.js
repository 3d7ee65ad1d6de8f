// Glue for the agent and admin pages: bulk selection, confirmations, folded filters on phones, the way back to the queue.
(function () {
  "use strict";

  // CSS shows "saves as you go" hints and hides fallback buttons only when this script runs.
  document.documentElement.classList.add("js");

  function bulkForm(el) {
    return el && el.closest("#bulk-form");
  }

  function updateSelectedCount(form) {
    if (!form) return;
    var boxes = form.querySelectorAll("input[name=ticket_ids]");
    var checked = form.querySelectorAll("input[name=ticket_ids]:checked").length;
    var label = form.querySelector("[data-selected-count]");
    if (label) label.textContent = checked ? checked + " selected" : "With selected";
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    form.classList.toggle("has-selection", checked > 0);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = bulkForm(target);
    if (!form) return;
    if (target.matches("[data-select-all]")) {
      form.querySelectorAll("input[name=ticket_ids]").forEach(function (box) { box.checked = target.checked; });
    }
    updateSelectedCount(form);
  });

  // Capture phase, so a refusal stops the submit before htmx or the browser acts on it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // Remember the last queue address, so "← Queue" on a ticket goes back to the same filters and page.
  var QUEUE_KEY = "agent-queue-url";
  function rememberQueue() {
    if (document.getElementById("queue-results")) {
      try { sessionStorage.setItem(QUEUE_KEY, location.pathname + location.search); } catch (e) { /* storage off */ }
    }
  }
  function restoreBackLinks() {
    var saved = null;
    try { saved = sessionStorage.getItem(QUEUE_KEY); } catch (e) { saved = null; }
    if (!saved || saved.charAt(0) !== "/" || saved.charAt(1) === "/") return;
    document.querySelectorAll("a[data-back]").forEach(function (a) { a.setAttribute("href", saved); });
  }
  // On a phone the filters start folded away; the table matters more there.
  function foldFilters() {
    if (!window.matchMedia("(max-width: 760px)").matches) return;
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) { d.open = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { foldFilters(); rememberQueue(); restoreBackLinks(); });
  document.addEventListener("htmx:pushedIntoHistory", rememberQueue);
  document.addEventListener("htmx:afterSettle", function (event) {
    rememberQueue();
    restoreBackLinks();
    updateSelectedCount(document.getElementById("bulk-form"));
  });
})();
