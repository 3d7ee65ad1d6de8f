// File fields say at once when a file is over the size limit, before anything is sent.
// The server checks again; this only spares people a long upload that would be refused.
(function () {
  "use strict";

  function describe(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function problemWith(input) {
    var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10);
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10);
    var files = Array.prototype.slice.call(input.files || []);
    if (maxFiles && files.length > maxFiles) {
      return "Attach at most " + maxFiles + " files to one message.";
    }
    var tooLarge = files.filter(function (f) { return maxBytes && f.size > maxBytes; });
    if (tooLarge.length) {
      return tooLarge.map(function (f) {
        return "“" + f.name + "” is " + describe(f.size) + ", larger than " + input.getAttribute("data-max-mb") + " MB.";
      }).join(" ") + " Choose a smaller file.";
    }
    return "";
  }

  function show(input, message) {
    var field = input.closest(".field") || input.parentNode;
    var id = input.id + "-client-error";
    var note = document.getElementById(id);
    if (!message) {
      if (note) note.remove();
      if (!field.querySelector(".error")) {
        field.classList.remove("has-error");
        input.removeAttribute("aria-invalid");
      }
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "error";
      note.id = id;
      note.setAttribute("role", "alert");
      field.appendChild(note);
    }
    note.textContent = message;
    field.classList.add("has-error");
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(id) < 0) {
      described.push(id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]")) show(input, problemWith(input));
  });

  // Capture phase: a refused form never reaches htmx or the browser's own submit.
  window.addEventListener("submit", function (event) {
    var inputs = event.target.querySelectorAll("input[type=file][data-max-bytes]");
    for (var i = 0; i < inputs.length; i++) {
      var message = problemWith(inputs[i]);
      if (message) {
        show(inputs[i], message);
        event.preventDefault();
        event.stopImmediatePropagation();
        inputs[i].focus();
        return;
      }
    }
  }, true);
})();
