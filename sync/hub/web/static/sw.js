// The web app's service worker: shows Web Push notifications and opens the page they point to.
"use strict";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "PlayClock", {
    body: data.body || "", icon: "/static/icon-192.png", badge: "/static/icon-192.png",
    data: { url: data.url || "/today" } }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/today";
  event.waitUntil(self.clients.openWindow(url));
});
