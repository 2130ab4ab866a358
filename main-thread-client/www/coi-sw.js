// coi-sw.js: a service worker that makes pages cross-origin isolated on hosts that cannot send
// headers (GitHub Pages and other static hosts). Registered by coi-register.js; not meant to be
// imported or registered by hand.
//
// Contract
// - Classic script, registered as `coi-sw.js?coep=require-corp` (the default) or
//   `coi-sw.js?coep=credentialless`; its scope is the directory it is served from.
// - Every same-origin response it sees gets `Cross-Origin-Opener-Policy: same-origin`,
//   `Cross-Origin-Embedder-Policy: <coep>` and `Cross-Origin-Resource-Policy: cross-origin`:
//   COOP and COEP matter on documents and worker scripts (together they make a page
//   crossOriginIsolated), CORP lets a same-origin subresource be embedded anywhere.
// - Cross-origin requests are not answered: the browser fetches them itself under the page's
//   COEP, which is what `credentialless` needs (see the fetch handler).
// - clients.claim() on activate, so that coi-register.js can reload the page into its control
//   on the first visit. An update waits, as service worker updates do, until no page of the
//   scope is open, or until a page that has finished loading posts SKIP_WAITING (coi-register.js
//   does for another ?coep=); never skipWaiting() on install.
// - Responses it cannot or need not rewrite (opaque, errors, redirected subresources) and
//   `only-if-cached` requests it cannot replay go through untouched.
'use strict';

const COEP_VALUES = ['require-corp', 'credentialless'];
const requested = new URL(self.location.href).searchParams.get('coep');
const COEP = COEP_VALUES.includes(requested) ? requested : 'require-corp';

/** The message that makes a waiting update take over now. */
const SKIP_WAITING = 'coi-sw:skip-waiting';

self.addEventListener('message', (event) => {
  // A change of COEP need not wait for every tab to close (the policy applies per navigation),
  // but a switch while a controlled page loads scripts stalls them for minutes in Chromium 156
  // (worker scripts: Weft starting, a Python thread starting). Pages ask once they have loaded,
  // and only for another COEP.
  if (event.data === SKIP_WAITING) self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  // Pages opened before the worker existed become controlled now; coi-register.js sees the
  // controllerchange and reloads once, so that the document itself comes through here.
  event.waitUntil(self.clients.claim());
});

/** Destinations whose response headers decide the policy of a new global (window or worker). */
const POLICY_DESTINATIONS = new Set(['document', 'iframe', 'frame', 'worker', 'sharedworker']);

/** `response` with the isolation headers added; the body is streamed, not buffered. */
function withIsolationHeaders(response) {
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', COEP);
  headers.set('Cross-Origin-Resource-Policy', 'cross-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  // Cross-origin requests are left to the browser, which then fetches them as the page's own
  // requests under the page's COEP: with `credentialless` it omits their credentials and accepts
  // a no-cors response without CORP. Answered from here they would be the worker's requests, sent
  // with cookies, and the page would have to reject the opaque credentialed response. With
  // `require-corp` a cross-origin no-cors response needs its own CORP header, which an opaque
  // response cannot be given here anyway.
  if (new URL(request.url).origin !== self.location.origin) return;
  // fetch() throws on an only-if-cached request whose mode is not same-origin (DevTools makes
  // such requests); the browser's default handling is the right answer for them.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(
    fetch(request).then((response) => {
      // Status 0: opaque, opaqueredirect (a navigation's redirect, which the browser follows and
      // sends back through here) or an error; their headers can be neither read nor replaced.
      if (response.status === 0) return response;
      // A Response built here has no URL of its own, so the page would see the request's URL:
      // wrong base URL for a redirected module or stylesheet. Same-origin subresources need none
      // of these headers, so a redirected one is passed as it is; a redirected worker script
      // still needs COEP, and its isolation matters more than its final URL.
      if (response.redirected && !POLICY_DESTINATIONS.has(request.destination)) return response;
      return withIsolationHeaders(response);
    }),
  );
});
