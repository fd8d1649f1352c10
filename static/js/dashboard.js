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
      // No mode bar: its buttons (zoom, pan, reset) are focusable controls without names inside an image
      // region, and these small charts need none of them; hover still shows every value.
      window.Plotly.newPlot(element, figure.data, figure.layout, {
        displayModeBar: false,
        displaylogo: false,
        responsive: true
      }).then(function () { element.dataset.rendered = "true"; });
    });
  }

  // The list's tick boxes serve every action of the bulk bar: say how many are ticked, and keep "Compare" (five at
  // most) from being pressed with more (the server would compare the first five and say so).
  function pickBar() {
    var form = document.getElementById("pick-form");
    if (!form) { return; }
    var max = 5;
    var compare = document.getElementById("compare-button");
    var count = document.getElementById("pick-count");
    function update() {
      var ticked = form.querySelectorAll("input.pick-check:checked").length;
      if (compare) {
        compare.disabled = ticked > max;
        compare.title = ticked > max ? "Compare takes up to " + max + " creators" : "";
      }
      if (count) { count.textContent = ticked ? ticked + " ticked" : ""; }
    }
    form.addEventListener("change", update);
    update();
  }

  // A shortlist entry's status is saved as soon as it is chosen (the row's Save button still works without this).
  function entryStatusSaves() {
    document.querySelectorAll("form[data-entry-form] select[name=status]").forEach(function (select) {
      select.addEventListener("change", function () {
        var form = select.form;
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      });
    });
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

  // Filter forms send only the fields that say something: an empty box adds nothing to the URL, and the column
  // chooser's ticks travel as one "columns=a,b,c".
  function dropEmptyFields() {
    ["filter-form", "columns-form"].forEach(function (id) {
      var form = document.getElementById(id);
      if (!form) { return; }
      form.addEventListener("formdata", function (event) {
        var data = event.formData;
        var empty = [];
        data.forEach(function (value, name) { if (value === "") { empty.push(name); } });
        empty.forEach(function (name) {
          var kept = data.getAll(name).filter(function (value) { return value !== ""; });
          data.delete(name);
          kept.forEach(function (value) { data.append(name, value); });
        });
        var columns = data.getAll("columns");
        if (columns.length > 1) {
          data.delete("columns");
          data.append("columns", columns.join(","));
        }
      });
    });
  }

  // The filter panel is a <details> so that it folds behind a "Filters" button on a phone; on a wide screen it
  // is always open (app.css does this where ::details-content exists; this covers the other browsers).
  function openFiltersOnWideScreens() {
    var panel = document.getElementById("filters-disclosure");
    if (panel && window.matchMedia("(min-width: 980px)").matches) { panel.open = true; }
  }

  function init() {
    openFiltersOnWideScreens(); dropEmptyFields(); drawCharts(); pickBar(); entryStatusSaves(); weightSliders(); autoApply();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
