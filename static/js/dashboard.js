/* Creator Scorecards: the little behaviour the server-rendered pages need. No framework, no network. */
(function () {
  "use strict";

  // Draw every chart whose figure JSON the server embedded (<script type="application/json" id="fig-...">).
  function drawCharts() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-figure]").forEach(function (element) {
      var source = document.getElementById(element.dataset.figure);
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(element, figure.data, figure.layout, {
        displaylogo: false,
        responsive: true,
        modeBarButtonsToRemove: ["lasso2d", "select2d", "toImage"]
      }).then(function () { element.dataset.rendered = "true"; });
    });
  }

  // Compare at most N creators: extra boxes are disabled once N are ticked.
  function limitCompare() {
    var form = document.getElementById("compare-form");
    if (!form) { return; }
    var max = 5;
    var boxes = form.querySelectorAll("input.compare-check");
    function update() {
      var ticked = form.querySelectorAll("input.compare-check:checked").length;
      boxes.forEach(function (box) { box.disabled = !box.checked && ticked >= max; });
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  // Weight sliders show their value and the share of the total each index would get.
  function weightSliders() {
    var form = document.getElementById("weights-form");
    if (!form) { return; }
    var sliders = form.querySelectorAll("input[type=range]");
    function update() {
      var total = 0;
      sliders.forEach(function (s) { total += Number(s.value); });
      sliders.forEach(function (s) {
        var out = document.getElementById(s.id + "-out");
        if (out) { out.textContent = total ? Math.round(100 * Number(s.value) / total) + "%" : "–"; }
      });
    }
    sliders.forEach(function (s) { s.addEventListener("input", update); });
    update();
  }

  // Filter selects apply on change, keeping keyboard users in control (the Apply button still works).
  function autoApply() {
    var form = document.getElementById("filter-form");
    if (!form) { return; }
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
    });
  }

  function init() { drawCharts(); limitCompare(); weightSliders(); autoApply(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
