/* PlayClock dashboard: confirm before removing, and refresh the today view every 10 s. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  var box = document.getElementById("today");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-refresh");
  function refresh() {
    if (document.hidden) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          box.innerHTML = html;
          box.setAttribute("data-refreshed", String(Date.now()));
        }
      })
      .catch(function () { /* the agent may be restarting: try again next time */ });
  }
  window.setInterval(refresh, 10000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
})();
