/* The dashboard's and "my impact"'s charts, drawn by Chart.js from the figures the server put in
   #dashboard-data. Every chart has the same figures in a table next to it, so nothing depends on this
   script. Each chart has one scale (figures of one size together), straight lines between the real
   counts (a curve would bulge past them), and a legend whose swatches are the bars' own colours. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var names = data.names;
  var css = getComputedStyle(document.documentElement);
  function color(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
  var palette = {
    submissions: color("--brand", "#c2410c"), approved: color("--ok", "#166534"), featured: "#7c3aed",
    views: color("--e", "#0369a1"), opened: color("--t", "#047857"),
    p50: color("--ok", "#166534"), p90: color("--bad", "#b91c1c")
  };
  Chart.defaults.font.family = css.fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  function axis(title) {
    return { beginAtZero: true, ticks: { precision: 0 }, title: { display: Boolean(title), text: title } };
  }

  // seriesNames: the legend's names when not the headline figures' (names); yTitle: the axis's unit.
  function lines(id, labels, series, keys, seriesNames, yTitle) {
    draw(id, {
      type: "line",
      data: {
        labels: labels,
        datasets: keys.map(function (key) {
          return {
            label: (seriesNames || names)[key], data: series[key], borderColor: palette[key],
            backgroundColor: palette[key], tension: 0, pointRadius: labels.length > 40 ? 0 : 2, spanGaps: true
          };
        })
      },
      options: { interaction: { mode: "index", intersect: false }, scales: { y: axis(yTitle || "") } }
    });
  }

  var trend = data.trend;
  if (trend) {
    lines("chart-trend-cases", trend.labels, trend.series, ["submissions", "approved", "featured"]);
    lines("chart-trend-reading", trend.labels, trend.series, ["views", "opened"]);
  }

  function bars(id, group) {
    draw(id, {
      type: "bar",
      data: {
        labels: group.labels,
        datasets: ["submissions", "approved"].map(function (key) {
          return { label: names[key], data: group[key], backgroundColor: palette[key] };
        })
      },
      options: { indexAxis: "y", scales: { x: axis("") } }
    });
  }
  if (data.values) bars("chart-values", data.values);
  if (data.teams) bars("chart-teams", data.teams);

  var mine = data.mine;
  if (mine) draw("chart-mine", {
    type: "bar",
    data: {
      labels: mine.labels,
      datasets: [
        { type: "bar", label: names.submissions, data: mine.submissions, backgroundColor: palette.submissions, yAxisID: "cases" },
        { type: "line", label: names.views, data: mine.views, borderColor: palette.views, backgroundColor: palette.views,
          tension: 0, pointRadius: 2, yAxisID: "views" }
      ]
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: {
        cases: Object.assign(axis(names.submissions), { position: "left" }),
        views: Object.assign(axis(names.views), { position: "right", grid: { drawOnChartArea: false } })
      }
    }
  });
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
  // Review turnaround: p50 and p90 of the hours cases waited for a decision, per bucket (gaps: no decision).
  var turnaround = data.turnaround;
  if (turnaround) {
    lines("chart-turnaround", turnaround.labels, turnaround, ["p50", "p90"], turnaround.names, turnaround.names.hours);
  }
  if (data.lessons) {
    valueBars("chart-lessons-team", data.lessons.team, data.lessons.names);
    valueBars("chart-lessons-servqual", data.lessons.servqual, data.lessons.names);
  }
})();
