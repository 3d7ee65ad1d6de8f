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

// ------------------------------------------------------------------------------------------------------ keyboard
// j/k walk the queue, o or Enter opens, x selects for bulk, / searches; on a ticket r replies, n writes a note,
// Ctrl/Cmd+Enter sends, u goes back; ? lists them all. Listeners sit on document, so htmx swaps never lose them.
(function () {
  "use strict";

  var SELECTED = "qt-kbd-selected";
  var selectedHref = null; // survives htmx swaps of the table: the same ticket stays selected when still listed
  var opener = null; // what had focus before the shortcuts dialog opened

  function typingIn(el) {
    if (!el || el.nodeType !== 1) return false;
    if (el.isContentEditable) return true;
    return !!el.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])");
  }

  function dialog() {
    return document.getElementById("shortcuts");
  }

  function openShortcuts() {
    var box = dialog();
    if (!box || box.open) return;
    opener = document.activeElement;
    box.showModal();
  }

  function closeShortcuts() {
    var box = dialog();
    if (box && box.open) box.close();
  }

  // Focus goes back to where it was, whichever way the dialog closed (Esc, ?, its button).
  document.addEventListener("close", function (event) {
    if (event.target !== dialog()) return;
    if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
    opener = null;
  }, true);

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcuts-open]")) {
      event.preventDefault();
      openShortcuts();
    }
  });

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-results tr.qt-row"));
  }

  function linkOf(row) {
    return row && row.querySelector("a.qt-link");
  }

  function selectedRow() {
    return document.querySelector("#queue-results tr." + SELECTED);
  }

  function select(row) {
    var old = selectedRow();
    if (old) old.classList.remove(SELECTED);
    if (!row) return;
    row.classList.add(SELECTED);
    var link = linkOf(row);
    selectedHref = link ? link.getAttribute("href") : null;
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = rows();
    if (!list.length) return false;
    var index = list.indexOf(selectedRow());
    index = index < 0 ? 0 : Math.min(list.length - 1, Math.max(0, index + step));
    select(list[index]);
    return true;
  }

  function reselect() {
    if (!selectedHref) return;
    var row = rows().filter(function (r) { var a = linkOf(r); return a && a.getAttribute("href") === selectedHref; })[0];
    if (row) row.classList.add(SELECTED);
  }
  document.addEventListener("htmx:afterSettle", reselect);

  function openSelected() {
    var link = linkOf(selectedRow());
    if (!link) return false;
    link.click();
    return true;
  }

  function toggleSelected() {
    var row = selectedRow();
    var box = row && row.querySelector("input[name=ticket_ids]");
    if (!box) return false;
    box.click(); // a real click, so the bulk bar's count updates through its change listener
    return true;
  }

  function focusSearch() {
    var search = document.getElementById("qf-q");
    if (!search) return false;
    search.focus();
    search.select();
    return true;
  }

  function compose(kind) {
    var form = document.getElementById("composer");
    if (!form) return false;
    var choice = form.querySelector("input[name=kind][value=" + kind + "]");
    if (choice && !choice.checked) choice.click();
    var body = form.querySelector("textarea[name=body]");
    if (!body) return false;
    body.focus();
    body.scrollIntoView({ block: "nearest" });
    return true;
  }

  function backToQueue() {
    var back = document.querySelector("a[data-back]");
    if (!back) return false;
    window.location.assign(back.getAttribute("href"));
    return true;
  }

  // After a send from the keyboard, the fresh composer lets go of focus, so u, j and the rest work at once.
  var sentFromKeyboard = false;
  document.addEventListener("htmx:afterSettle", function (event) {
    var settled = event.target;
    if (!sentFromKeyboard || !settled.closest || !settled.closest("#composer")) return;
    sentFromKeyboard = false;
    var body = document.querySelector("#composer textarea[name=body]");
    if (body && document.activeElement === body && !body.value) body.blur();
  });

  function send(textarea) {
    var form = textarea.closest("form#composer");
    if (!form) return false;
    sentFromKeyboard = true;
    var button = form.querySelector("button[type=submit]:not([name])") || form.querySelector("button[type=submit]");
    if (button && button.disabled) return true; // already sending
    if (typeof form.requestSubmit === "function") form.requestSubmit(button || undefined);
    else if (button) button.click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    var target = event.target;
    var box = dialog();
    if (box && box.open) {
      if (event.key === "?" && !event.ctrlKey && !event.altKey && !event.metaKey) {
        event.preventDefault();
        closeShortcuts();
      }
      return; // Esc is the dialog's own; nothing else acts behind it
    }
    if (event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey &&
          target.matches && target.matches("#composer textarea[name=body]") && send(target)) {
        event.preventDefault();
      }
      return;
    }
    if (event.key === "Escape" && target.matches && target.matches("#composer textarea[name=body]")) {
      target.blur(); // a way out of the composer without the mouse
      return;
    }
    if (typingIn(target)) return;
    var handled = false;
    switch (event.key) {
      case "j": handled = move(1); break;
      case "k": handled = move(-1); break;
      case "o": handled = openSelected(); break;
      case "Enter":
        // A focused link or button does its own thing; Enter opens only from the page or the selected row.
        if (target === document.body || target === document.documentElement) handled = openSelected();
        break;
      case "x": handled = toggleSelected(); break;
      case "/": handled = focusSearch(); break;
      case "r": handled = compose("reply"); break;
      case "n": handled = compose("note"); break;
      case "u": handled = backToQueue(); break;
      case "?": openShortcuts(); handled = !!box; break;
    }
    if (handled) event.preventDefault();
  });
})();

// Macros: once a macro has filled the composer, fold the picker away and put the cursor at the end of the text.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function (event) {
    var source = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!source || !source.matches || !source.matches("[data-macro-choice]")) return;
    var picker = document.getElementById("macro-picker");
    if (picker) picker.open = false;
    var body = document.querySelector("#composer textarea");
    if (body) {
      body.focus();
      body.setSelectionRange(body.value.length, body.value.length);
    }
  });
})();
