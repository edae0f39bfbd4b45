// Draws the report charts of an admin page with the vendored Chart.js. Each canvas names the
// json_script element holding its chart: {kind, labels, datasets} for line, bar and forecast
// charts; {kind: "heatmap", x, y, values} for matrices (cohorts, ABC/XYZ, slot utilisation).
(function () {
  "use strict";
  const palette = ["#417690", "#e07b39", "#5b9e4d", "#a45ea8", "#c9a227", "#70757a"];

  function heatColour(value, max) {
    if (value === null || value === undefined) { return "rgba(200, 200, 200, 0.25)"; }
    const share = max > 0 ? value / max : 0;
    return "rgba(65, 118, 144, " + (0.12 + 0.88 * share).toFixed(3) + ")";
  }

  function heatmap(canvas, spec) {
    const points = [];
    let max = 0;
    spec.values.forEach(function (row, y) {
      row.forEach(function (value, x) {
        points.push({x: x, y: y, v: value});
        if (value !== null && value > max) { max = value; }
      });
    });
    const size = Math.max(8, Math.min(40, Math.floor(600 / Math.max(spec.x.length, 1)) - 4));
    return new Chart(canvas, {
      type: "scatter",
      data: {datasets: [{label: spec.title || "value", data: points, pointStyle: "rect", radius: size / 2,
                         hoverRadius: size / 2,
                         backgroundColor: points.map(function (p) { return heatColour(p.v, max); })}]},
      options: {
        plugins: {legend: {display: false}, tooltip: {callbacks: {label: function (item) {
          const p = item.raw;
          return spec.y[p.y] + " / " + spec.x[p.x] + ": " + (p.v === null ? "–" : p.v);
        }}}},
        scales: {
          x: {type: "linear", min: -0.5, max: spec.x.length - 0.5, grid: {display: false},
              afterBuildTicks: function (axis) { axis.ticks = spec.x.map(function (_, i) { return {value: i}; }); },
              ticks: {autoSkip: false, callback: function (v) { return spec.x[v]; }}},
          y: {type: "linear", reverse: true, min: -0.5, max: spec.y.length - 0.5, grid: {display: false},
              afterBuildTicks: function (axis) { axis.ticks = spec.y.map(function (_, i) { return {value: i}; }); },
              ticks: {autoSkip: false, callback: function (v) { return spec.y[v]; }}}
        }
      }
    });
  }

  function series(canvas, spec) {
    const forecast = spec.kind === "forecast";
    const datasets = spec.datasets.map(function (set, i) {
      const colour = palette[i % palette.length];
      const band = forecast && (set.label === "lower" || set.label === "upper");
      return {label: set.label, data: set.data, borderColor: band ? "rgba(224, 123, 57, 0.3)" : colour,
              backgroundColor: band ? "rgba(224, 123, 57, 0.15)" : colour, pointRadius: band ? 0 : 2,
              fill: set.label === "upper" ? "-1" : false, spanGaps: false};
    });
    return new Chart(canvas, {
      type: spec.kind === "bar" ? "bar" : "line",
      data: {labels: spec.labels, datasets: datasets},
      options: {animation: false, scales: spec.stacked ? {x: {stacked: true}, y: {stacked: true}} : {},
                plugins: {title: {display: !!spec.title, text: spec.title || ""}}}
    });
  }

  document.querySelectorAll("canvas.report-canvas").forEach(function (canvas) {
    const spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    Chart.defaults.animation = false;
    if (spec.kind === "heatmap") { heatmap(canvas, spec); } else { series(canvas, spec); }
    canvas.dataset.drawn = "true";
  });
}());
