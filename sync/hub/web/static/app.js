// Progressive enhancement only: every page works without this file.
"use strict";
(function () {
  // Ask before destructive forms (remove a computer, withdraw a consent).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // Select the pairing command or invitation link on tap, ready to copy.
  document.querySelectorAll("input.copy").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
  // Web Push: offered only where the browser supports it and the hub has VAPID keys.
  var box = document.querySelector("[data-push-key]");
  if (!box || !("PushManager" in window) || !("serviceWorker" in navigator)) { return; }
  box.hidden = false;
  function key(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  document.getElementById("push-on").addEventListener("click", function () {
    var state = document.getElementById("push-state");
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: key(box.getAttribute("data-push-key")) });
    }).then(function (sub) {
      return fetch("/push/subscriptions", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": box.getAttribute("data-csrf") },
        body: JSON.stringify(sub) });
    }).then(function (r) { state.textContent = r.ok ? "✓" : "✗"; })
      .catch(function () { state.textContent = "✗"; });
  });
})();
