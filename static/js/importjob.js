'use strict';
// The admin's import job page (creators/templates/admin/creators/importjob/job.html): follow the job through the
// staff API (the URL is the script element's data-status-url) until it ends, then reload to show the counts and
// the row errors. A file, not an inline script, so the Content-Security-Policy can refuse every inline script.
(function () {
  const url = document.currentScript.dataset.statusUrl;
  const bar = document.getElementById("job-progress");
  const text = document.getElementById("job-progress-text");
  const status = document.getElementById("job-status");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (job) {
        bar.value = job.progress_percent;
        bar.textContent = job.progress_percent + "%";
        text.textContent = job.progress_percent + "% \u00b7 " + job.progress + " rows validated";
        status.textContent = job.status;
        if (job.status === "succeeded" || job.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
