// The report's charts, drawn with Chart.js from each canvas's data-chart-data attribute (JSON of the same figures as
// the table beside it). Redrawn whenever htmx swaps a new report in (a filter change, a quick range, history).
(function () {
  "use strict";

  var drawn = [];

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  var STATUS_COLOURS = { open: "#1c7ed6", in_progress: "#7048e8", waiting: "#e8590c" };

  function baseOptions(extra) {
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { display: false } },
      scales: {
        x: { grid: { display: false }, ticks: { color: cssVar("--muted", "#5d6575") } },
        y: { beginAtZero: true, ticks: { precision: 0, color: cssVar("--muted", "#5d6575") },
             grid: { color: cssVar("--border", "#dde1e8") } }
      }
    };
    Object.keys(extra || {}).forEach(function (key) { options[key] = extra[key]; });
    return options;
  }

  // Horizontal bars: the counts run along x, the names down y.
  function sidewaysScales() {
    return {
      x: { beginAtZero: true, ticks: { precision: 0, color: cssVar("--muted", "#5d6575") },
           grid: { color: cssVar("--border", "#dde1e8") } },
      y: { grid: { display: false }, ticks: { color: cssVar("--text", "#1f2430") } }
    };
  }

  function shortDay(iso) {
    // "2025-01-31" -> "31 Jan", read as UTC like the report's days.
    var parts = iso.split("-");
    var date = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    return date.toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
  }

  var BUILDERS = {
    by_day: function (data) {
      var days = data.labels.length;
      var line = days > 62;
      var accent = cssVar("--accent", "#3b5bdb");
      var success = cssVar("--success", "#2b8a3e");
      return {
        type: line ? "line" : "bar",
        data: {
          labels: data.labels.map(shortDay),
          datasets: [
            { label: "Created", data: data.created, backgroundColor: accent, borderColor: accent,
              pointRadius: 0, borderWidth: line ? 2 : 0, tension: 0.2 },
            { label: "Solved", data: data.solved, backgroundColor: success, borderColor: success,
              pointRadius: 0, borderWidth: line ? 2 : 0, tension: 0.2 }
          ]
        },
        options: baseOptions({
          plugins: { legend: { display: true, position: "top", align: "end",
                               labels: { boxWidth: 12, color: cssVar("--text", "#1f2430") } } }
        })
      };
    },
    backlog: function (data) {
      return {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: "Tickets", data: data.values,
                       backgroundColor: data.statuses.map(function (s) { return STATUS_COLOURS[s] || "#868e96"; }) }]
        },
        options: baseOptions({ indexAxis: "y", scales: sidewaysScales() })
      };
    },
    agents: function (data) {
      return {
        type: "bar",
        data: { labels: data.labels,
                datasets: [{ label: "Solved", data: data.solved, backgroundColor: cssVar("--success", "#2b8a3e") }] },
        options: baseOptions({ indexAxis: "y", scales: sidewaysScales() })
      };
    }
  };

  function draw() {
    drawn.forEach(function (chart) { chart.destroy(); });
    drawn = [];
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var build = BUILDERS[canvas.getAttribute("data-chart")];
      var data;
      try { data = JSON.parse(canvas.getAttribute("data-chart-data")); } catch (e) { return; }
      if (build && data) drawn.push(new window.Chart(canvas, build(data)));
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  // A filter change or a quick range swaps a new report in; going back restores the whole page from the server.
  document.addEventListener("htmx:load", function (event) {
    var report = event.detail.elt;
    if (report.id !== "report") return;
    draw();
    // Refused filters: take the keyboard to the first field with a message beside it.
    var invalid = report.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
  });
  document.addEventListener("htmx:historyRestore", draw);
})();
