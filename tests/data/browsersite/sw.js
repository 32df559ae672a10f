// Answers the page's request for sw-story with sw-source.txt, fetched from the network here.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', event => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', event => {
  if (new URL(event.request.url).pathname.endsWith('/sw-story')) {
    event.respondWith(fetch('sw-source.txt'));
  }
});
