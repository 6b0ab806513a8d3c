/* The dashboard's charts, drawn by Chart.js from the figures the server put in #dashboard-data.
   Every chart has the same figures in a table next to it, so nothing depends on this script. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var names = data.names;
  var css = getComputedStyle(document.documentElement);
  function color(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
  var palette = {
    submissions: color("--brand", "#c2410c"), approved: color("--ok", "#166534"),
    views: color("--e", "#0369a1"), impressions: "#94a3b8", opened: color("--t", "#047857"), featured: "#7c3aed"
  };
  var valueColors = [color("--h", "#be185d"), color("--e", "#0369a1"), color("--a", "#b45309"), color("--t", "#047857")];
  Chart.defaults.font.family = css.fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  if (data.months) {
    draw("chart-months", {
      type: "bar",
      data: {
        labels: data.months.labels,
        datasets: [
          { label: names.submissions, data: data.months.submissions, backgroundColor: palette.submissions, yAxisID: "cases" },
          { label: names.views, data: data.months.views, backgroundColor: palette.views, yAxisID: "activity" }
        ]
      },
      options: {
        scales: {
          cases: { position: "left", beginAtZero: true, ticks: { precision: 0 } },
          activity: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } }
        }
      }
    });
  }

  var trend = data.trend;
  if (trend) draw("chart-trend", {
    type: "line",
    data: {
      labels: trend.labels,
      datasets: ["submissions", "approved", "featured", "views", "impressions", "opened"].map(function (key) {
        var right = key === "views" || key === "impressions" || key === "opened";
        return {
          label: names[key], data: trend.series[key], borderColor: palette[key], backgroundColor: palette[key],
          yAxisID: right ? "activity" : "cases", tension: 0.25, pointRadius: trend.labels.length > 40 ? 0 : 2,
          borderDash: right ? [] : [4, 3]
        };
      })
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: {
        cases: { position: "left", beginAtZero: true, ticks: { precision: 0 } },
        activity: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } }
      }
    }
  });

  function bars(id, group, colors) {
    draw(id, {
      type: "bar",
      data: {
        labels: group.labels,
        datasets: [
          { label: names.submissions, data: group.submissions, backgroundColor: colors || palette.submissions, xAxisID: "x" },
          { label: names.views, data: group.views, backgroundColor: palette.views, xAxisID: "x2" }
        ]
      },
      options: {
        indexAxis: "y",
        scales: {
          x: { position: "bottom", beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: names.submissions } },
          x2: { position: "top", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 },
                title: { display: true, text: names.views } }
        }
      }
    });
  }
  if (data.values) bars("chart-values", data.values, valueColors);
  if (data.teams) bars("chart-teams", data.teams);

  // Lessons: customer value at risk (元) this period beside the previous one, by team and by element.
  function valueBars(id, group, lessonNames) {
    draw(id, {
      type: "bar",
      data: {
        labels: group.labels,
        datasets: [
          { label: lessonNames.current, data: group.current, backgroundColor: color("--bad", "#b91c1c") },
          { label: lessonNames.previous, data: group.previous, backgroundColor: "#94a3b8" }
        ]
      },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  if (data.lessons) {
    valueBars("chart-lessons-team", data.lessons.team, data.lessons.names);
    valueBars("chart-lessons-servqual", data.lessons.servqual, data.lessons.names);
  }
})();
