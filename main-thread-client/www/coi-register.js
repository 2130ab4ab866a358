// coi-register.js: makes a page cross-origin isolated on hosts that cannot send the headers
// (GitHub Pages and other static hosts), by registering coi-sw.js, which adds them.
//
// Contract
// - Include it first in <head>, as a classic script:  <script src="coi-register.js"></script>
//   (before anything that fetches much: the first visit reloads the page once).
// - Options, as attributes of that script tag:
//     data-coep="credentialless"  COEP value (default require-corp; see README, "Hosting
//                                 without headers", for the trade-off)
//     data-sw="path/coi-sw.js"    where the service worker is, relative to this script (default:
//                                 coi-sw.js beside it); its directory is the worker's scope
//     data-disable                register nothing, and unregister coi-sw.js if an earlier visit
//                                 registered it (isolation then ends from the next load)
// - A page that is already crossOriginIsolated (headers from the server, or coi-sw.js already in
//   control) is left alone. Otherwise coi-sw.js is registered and, once it controls the page, the
//   page is reloaded so that the document comes through it. At most one such reload per tab and
//   scope: if the page is still not isolated after it, a console warning says why and the page
//   stays as it is. Without service workers (file:, http: other than localhost, private browsing, disabled)
//   it warns and the page loads normally, not isolated; Weft then runs Python without the
//   shared-memory features and says so.
// - It never registers over another service worker of the same scope.
// - Another data-coep takes over once a page has loaded: this script then tells the waiting
//   coi-sw.js to skip waiting. A new coi-sw.js with the same COEP adds the same headers, so it
//   waits, as service worker updates do, until no page of its scope is open. A page that
//   coi-sw.js already controls registers only after its load event.
// - The outcome is `window.weftCoi`: { state, coep, reason, ready }, state being one of
//   'isolated', 'pending' (registering), 'reloading', 'disabled', 'unavailable' (no service
//   workers here) or 'failed'; `reason` is the warning's text; `ready` is a Promise of the final
//   state (any but 'pending' and 'reloading'; it never settles when the page reloads). A page
//   that awaits it before starting Weft starts it once, in the isolated load. Still 'pending'
//   10 s after registering is 'failed': a page never waits longer.
(function () {
  'use strict';

  const NAME = 'coi-register.js';
  const TIMEOUT_MS = 10000;
  const script = document.currentScript;
  const options = (script && script.dataset) || {};
  const base = (script && script.src) || location.href;
  const swUrl = new URL(options.sw || 'coi-sw.js', base);
  const scope = new URL('./', swUrl).href;

  let coep = 'require-corp';
  if (options.coep === 'credentialless' || options.coep === 'require-corp') coep = options.coep;
  else if (options.coep) console.warn(`${NAME}: unknown data-coep="${options.coep}"; using require-corp`);
  swUrl.searchParams.set('coep', coep);

  let settleReady;
  const ready = new Promise((resolve) => { settleReady = resolve; });
  const status = (window.weftCoi = { state: 'pending', coep, reason: '', ready });
  const setState = (state, reason = '') => {
    status.state = state;
    status.reason = reason;
    if (reason) console.warn(`${NAME}: ${reason}`);
    if (state !== 'pending' && state !== 'reloading') settleReady(state);
  };

  const sw = 'serviceWorker' in navigator ? navigator.serviceWorker : null;
  /** Whether `worker` (a ServiceWorker, or null) runs our coi-sw.js, whatever its ?coep=. */
  const isOurs = (worker) => {
    if (!worker) return false;
    const url = new URL(worker.scriptURL);
    return url.origin === swUrl.origin && url.pathname === swUrl.pathname;
  };
  const coepOf = (worker) => new URL(worker.scriptURL).searchParams.get('coep') || 'require-corp';
  /** Our registration for `scope` (or null), found by getRegistration(scope). */
  const ours = (reg) => (reg && reg.scope === scope && isOurs(reg.active || reg.waiting || reg.installing) ? reg : null);
  /** Runs `f` once the page has loaded. */
  const whenLoaded = (f) => {
    if (document.readyState === 'complete') f();
    else window.addEventListener('load', () => f(), { once: true });
  };
  /** Lets a waiting coi-sw.js of `reg` with another COEP take over, now and whenever one
   *  installs (coi-sw.js). */
  // A switch of worker while the page loads workers (Weft starting, or a Python thread, at any
  // time) stalls their script requests for minutes in Chromium 156, so only a change of COEP,
  // which the page asked for, is worth one; the same COEP from a new coi-sw.js can wait. Once
  // this page starts to go (a navigation away, a reload), it asks nothing more: an update found
  // by that navigation and activated while the next page loads stalls that page's requests, and
  // the next page asks for it itself once loaded.
  let leaving = false;
  window.addEventListener('beforeunload', () => { leaving = true; });
  window.addEventListener('pagehide', () => { leaving = true; });
  const promoteUpdates = (reg) => {
    const ask = (worker) => {
      const sameCoep = isOurs(sw.controller) && coepOf(worker) === coepOf(sw.controller);
      if (!leaving && isOurs(worker) && !sameCoep) worker.postMessage('coi-sw:skip-waiting');
    };
    const watch = (worker) => {
      if (!worker) return;
      if (worker.state === 'installed') ask(worker);
      worker.addEventListener('statechange', () => worker.state === 'installed' && ask(worker));
    };
    if (reg.waiting) ask(reg.waiting);
    watch(reg.installing);
    reg.addEventListener('updatefound', () => watch(reg.installing));
  };

  // ---- opted out ------------------------------------------------------------------------------
  if (options.disable !== undefined && options.disable !== 'false') {
    setState('disabled');
    if (sw) {
      sw.getRegistration(scope).then((reg) => {
        if (ours(reg)) {
          return ours(reg).unregister().then(() =>
            console.info(`${NAME}: data-disable: unregistered coi-sw.js; pages load without it from the next load`));
        }
      }).catch(() => {});
    }
    return;
  }

  // The reload guard: set just before the one reload, cleared once a load is isolated. Keyed by
  // scope, in sessionStorage: it survives the reload, stays within the tab, and a new tab (or a
  // later session) may try again.
  const guardKey = `weft-coi-reloaded:${scope}`;
  let storage = null;
  try {
    storage = window.sessionStorage;
    storage.getItem(guardKey);
  } catch {
    storage = null; // blocked storage (some privacy settings): no way to bound reloads
  }

  // ---- already isolated -----------------------------------------------------------------------
  if (window.crossOriginIsolated) {
    if (storage) storage.removeItem(guardKey);
    setState('isolated');
    // Isolated through coi-sw.js: keep it current. With another data-coep, re-register so that
    // the new value applies from the next navigation (this page keeps the headers it came with).
    if (sw && isOurs(sw.controller)) {
      whenLoaded(() => sw.getRegistration(scope).then((reg) => {
        if (!ours(reg)) return;
        promoteUpdates(reg);
        if (coepOf(sw.controller) !== coep) return sw.register(swUrl.href, { scope });
      }).catch((e) => console.warn(`${NAME}: could not update coi-sw.js: ${e}`)));
    }
    return;
  }

  // ---- no service workers here ----------------------------------------------------------------
  if (!window.isSecureContext) {
    setState('unavailable', 'this page is not a secure context, so it cannot have a service worker ' +
      '(it needs HTTPS, or http://localhost); it stays not cross-origin isolated');
    return;
  }
  if (!sw) {
    setState('unavailable', 'service workers are unavailable here (private browsing, disabled by policy, or ' +
      'an unsupported browser); the page stays not cross-origin isolated');
    return;
  }
  if (!storage) {
    setState('unavailable', 'sessionStorage is blocked, so a reload could not be limited to one; ' +
      'the page stays not cross-origin isolated');
    return;
  }

  // ---- already tried --------------------------------------------------------------------------
  const explainFailure = () => {
    const c = sw.controller;
    if (!c) return 'the page was reloaded once to come under coi-sw.js but is not controlled by it (a forced ' +
      'reload bypasses service workers); it stays not cross-origin isolated';
    if (!isOurs(c)) return `another service worker (${c.scriptURL}) controls this page; it must add the ` +
      'isolation headers itself';
    return 'coi-sw.js serves this page with COOP/COEP but the browser does not isolate it (is the page in a ' +
      'frame of a page that is not isolated, or does this browser not support ' +
      `Cross-Origin-Embedder-Policy: ${coepOf(c)}?)`;
  };
  if (storage.getItem(guardKey)) {
    setState('failed', `${explainFailure()}; not reloading again in this tab`);
    return;
  }
  if (!location.href.startsWith(scope)) {
    setState('failed', `this page is outside coi-sw.js's scope (${scope}): serve coi-sw.js from the ` +
      "page's directory or one above it");
    return;
  }
  // Loaded through our worker with the same COEP and still not isolated: a reload would load it
  // the same way.
  if (isOurs(sw.controller) && coepOf(sw.controller) === coep) {
    setState('failed', explainFailure());
    return;
  }

  // ---- register, then reload once under control -----------------------------------------------
  let registration = null;
  const reload = () => {
    if (status.state !== 'pending') return;
    storage.setItem(guardKey, String(Date.now()));
    setState('reloading');
    console.info(`${NAME}: reloading once so that coi-sw.js serves the page with the isolation headers`);
    location.reload();
  };
  // Our worker is active (it claims this page when it activates; a page it does not control, as
  // after a forced reload, gets controlled by a normal reload) unless another one holds the page.
  const settle = () => {
    const c = sw.controller;
    if (c && !isOurs(c)) {
      if (status.state === 'pending') setState('failed', explainFailure());
    } else if (isOurs(c) || (registration && registration.active && registration.active.state === 'activated')) {
      reload();
    }
  };
  const register = () => {
    // Listening before registering: the claim can come before register() resolves.
    sw.addEventListener('controllerchange', settle);
    // Past the timeout the page goes on not isolated (a late controllerchange no longer reloads
    // it): a page awaiting `ready` never waits long for a worker that does not come.
    setTimeout(() => {
      if (status.state === 'pending') {
        setState('failed', `coi-sw.js did not take control of the page within ${TIMEOUT_MS / 1000} s; ` +
          'the page stays not cross-origin isolated');
      }
    }, TIMEOUT_MS);
    return sw.getRegistration(scope)
      .then((existing) => {
        if (existing && existing.scope === scope && !ours(existing)) {
          const other = (existing.active || existing.waiting || existing.installing || {}).scriptURL;
          throw new Error(`another service worker (${other}) is registered for ${scope}; not replacing it`);
        }
        return sw.register(swUrl.href, { scope });
      })
      .then(registered);
  };
  const registered = (reg) => {
    registration = reg;
    whenLoaded(() => promoteUpdates(reg));
    const incoming = reg.installing || reg.waiting;
    if (!incoming) {
      settle();
      return;
    }
    incoming.addEventListener('statechange', () => {
      if (incoming.state === 'activated') settle();
      else if (incoming.state === 'redundant' && status.state === 'pending') {
        setState('failed', 'coi-sw.js failed to install; the page stays not cross-origin isolated');
      }
    });
  };
  const registerOrWarn = () => register().catch((e) => {
    if (status.state === 'pending') {
      setState('failed', `could not register coi-sw.js (${e && e.message ? e.message : e}); ` +
        'the page stays not cross-origin isolated');
    }
  });
  // An uncontrolled page registers at once (the first visit reloads sooner); one that a
  // coi-sw.js with another data-coep controls does it once loaded, as updates must.
  if (sw.controller) whenLoaded(registerOrWarn);
  else registerOrWarn();
})();
