#!/bin/sh
# Rebuild static/vendor/plotly-dashboard.min.js from the exact npm versions in package-lock.json.
# Needs node and npm (the npm registry); nothing of this runs at deploy or request time. See README.md here.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
VERSION=$(node -p "require('plotly.js/package.json').version")
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
  --define:global=window --define:define.amd=false --define:process.env.NODE_DEBUG=false \
  --loader:.css=empty --log-level=warning \
  --banner:js="/*! plotly.js v$VERSION (MIT licence, Copyright Plotly, Inc.): core + bar + scatterpolar only, built for Creator Scorecards by tools/plotly-bundle/build.sh */" \
  --outfile=../../static/vendor/plotly-dashboard.min.js
sha256sum ../../static/vendor/plotly-dashboard.min.js
