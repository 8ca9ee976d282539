// The scorecard trend chart: plotly.js (served by the console from the plotly wheel) draws the series the page
// carries as JSON. No inline script, nothing from elsewhere; without JS the tables below say the same.
(function () {
  "use strict";
  var holder = document.getElementById("trend-chart");
  var source = document.getElementById("trend-data");
  if (!holder || !source || !window.Plotly) { return; }
  var data = JSON.parse(source.textContent);
  var traces = data.series.map(function (s) {
    return { x: data.months, y: s.values, name: s.title, type: "scatter", mode: "lines+markers",
             connectgaps: false, hovertemplate: "%{x}: %{y:.2f}%<extra>" + s.kpi + "</extra>" };
  });
  var layout = { height: 300, margin: { l: 48, r: 16, t: 16, b: 40 },
                 font: { family: "system-ui, sans-serif", size: 13 },
                 xaxis: { type: "category" }, yaxis: { ticksuffix: "%", rangemode: "tozero" },
                 legend: { orientation: "h", y: -0.2 } };
  window.Plotly.newPlot(holder, traces, layout, { displayModeBar: false, responsive: true })
    .then(function () { holder.setAttribute("data-drawn", String(traces.length)); });
}());
