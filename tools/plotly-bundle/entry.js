'use strict';
// The dashboard's charts (creators/charts.py, BUNDLED_TRACES) use three trace types: scatter (the trend lines;
// always part of plotly.js's core), bar (category impact, score distribution) and scatterpolar (the radars).
// This is plotly.js's own custom-bundle recipe (CUSTOM_BUNDLE.md): the core plus the registered traces.
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/scatterpolar')]);

module.exports = Plotly;
