// Keeps the consolidation progress bar on a round page current: polls the job every 2 s while it
// is queued or running, then redraws the section as the server renders it. No framework.
(function () {
  "use strict";
  var LABELS = { queued: "Queued", running: "Running", succeeded: "Succeeded", failed: "Failed" };
  function watch(box) {
    var url = box.getAttribute("data-job-url");
    var state = box.querySelector("[data-role=state]");
    var parts = box.querySelector("[data-role=parts]");
    var bar = box.querySelector("[data-role=bar]");
    var error = box.querySelector("[data-role=error]");
    var link = box.querySelector("[data-role=report-link]");
    function show(job) {
      box.setAttribute("data-job-state", job.state);
      state.textContent = LABELS[job.state] || job.state;
      state.className = "badge job-state " + job.state;
      parts.textContent = job.parts_done + " of " + job.parts_total + " parts";
      bar.setAttribute("aria-valuenow", job.progress);
      bar.firstElementChild.style.width = job.progress + "%";
      error.textContent = job.error || "";
      error.hidden = !job.error;
      link.hidden = job.state !== "succeeded";
    }
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (job) {
          show(job);
          if (job.state === "queued" || job.state === "running") { setTimeout(poll, 2000); } else { refresh(); }
        })
        .catch(function () { setTimeout(poll, 10000); });
    }
    // Once the job has ended, the server's own rendering of the section (report downloads, the
    // "consolidate again" button for facilitators) replaces it; if that fails the bar stays right.
    function refresh() {
      var section = box.closest("#round-jobs");
      if (!section) { return; }
      fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (text) {
          var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("round-jobs");
          if (fresh) { section.replaceWith(document.importNode(fresh, true)); }
        })
        .catch(function () {});
    }
    setTimeout(poll, 2000);
  }
  document.querySelectorAll(".job-status[data-job-url]").forEach(function (box) {
    var s = box.getAttribute("data-job-state");
    if (s === "queued" || s === "running") { watch(box); }
  });
})();
