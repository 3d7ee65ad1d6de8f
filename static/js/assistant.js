// The assistant in the agent workspace: put a fetched draft into the composer, and show failures in place.
(function () {
  "use strict";

  function inAssistant(el) {
    return el && el.closest && el.closest("[data-assistant]");
  }

  // The server answers 503 (and 400 for an expired form) with the panel saying what went wrong: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (inAssistant(event.detail.elt) && (status === 503 || status === 400)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function showProblem(elt, text) {
    var panel = inAssistant(elt);
    var result = panel && panel.querySelector("[data-assistant-result]");
    if (!result) return;
    result.innerHTML = "";
    var p = document.createElement("p");
    p.className = "alert alert-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    result.appendChild(p);
  }

  document.addEventListener("htmx:timeout", function (event) {
    showProblem(event.detail.elt, "The assistant took too long. Try again in a moment, or write the reply yourself.");
  });
  document.addEventListener("htmx:sendError", function (event) {
    showProblem(event.detail.elt, "The desk could not be reached. Check your connection and try again.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (inAssistant(event.detail.elt)) {
      showProblem(event.detail.elt, "Something went wrong (" + event.detail.xhr.status + "). Try again in a moment.");
    }
  });

  // A draft arrives in a hidden textarea of the panel: move it into the composer's reply box.
  function placeDraft(root) {
    var source = root.querySelector && root.querySelector("[data-assistant-draft]");
    if (!source) return;
    var draft = source.value;
    source.parentNode.removeChild(source);
    var composer = document.getElementById("composer");
    var box = composer && composer.querySelector("textarea[name=body]");
    if (!box) return;
    var reply = composer.querySelector("input[name=kind][value=reply]");
    if (reply && !reply.checked) {
      reply.checked = true;
      reply.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (box.value.trim() && !window.confirm("Replace what you wrote in the reply box with the assistant's draft?")) {
      box.value = box.value.replace(/\s+$/, "") + "\n\n" + draft;
    } else {
      box.value = draft;
    }
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (target && target.id === "assistant") placeDraft(target);
    else if (document.getElementById("assistant")) placeDraft(document.getElementById("assistant"));
  });
})();
