// Renders /openapi.json with Swagger UI on the API reference page. No inline script: the CSP forbids it.
(function () {
  "use strict";

  function start() {
    var host = document.getElementById("swagger-ui");
    if (!host || typeof window.SwaggerUIBundle !== "function") return;
    window.SwaggerUIBundle({
      url: host.getAttribute("data-spec-url"),
      domNode: host,
      deepLinking: true,
      // No calls to the public validator service: the page talks to this server only.
      validatorUrl: null,
      persistAuthorization: false,
      docExpansion: "list",
      defaultModelsExpandDepth: 0,
      tryItOutEnabled: false
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
