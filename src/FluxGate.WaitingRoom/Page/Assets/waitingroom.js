// The waiting room page: polls where its ticket stands (with jitter, honouring the server's retryAfterMs, backing
// off on failures), updates in place, and once served places the order through the room and shows the outcome.
(function () {
  'use strict';

  var state = JSON.parse(document.getElementById('fg-state').textContent);
  var api = '/api/queue/' + encodeURIComponent(state.productId);
  var failures = 0;
  var orderAttempts = 0;
  var MAX_ORDER_ATTEMPTS = 8;
  var timer = 0;

  function $(id) { return document.getElementById(id); }

  function show(view) {
    var sections = document.querySelectorAll('section[data-view]');
    for (var i = 0; i < sections.length; i++) {
      sections[i].hidden = sections[i].getAttribute('data-view') !== view;
    }
    document.body.setAttribute('data-view', view);
    state.view = view;
  }

  function announce(text) {
    var live = $('announce');
    if (live.textContent !== text) { live.textContent = text; }
  }

  function setText(id, text) {
    var el = $(id);
    if (el.textContent !== text) { el.textContent = text; }
  }

  function number(n) { return Number(n).toLocaleString('en'); }

  // Keeps the ticket in the address bar, so a refresh or a restored tab comes back to the same place in line.
  function rememberTicket() {
    if (!state.ticket || !window.history || !history.replaceState) { return; }
    var url = new URL(window.location.href);
    url.searchParams.set('ticket', state.ticket);
    if (state.from) { url.searchParams.set('from', String(state.from)); }
    url.searchParams.delete('nojs');
    url.searchParams.delete('attempt');
    history.replaceState(null, '', url.toString());
  }

  // ±20% so that pages which started together spread out instead of polling in lockstep.
  function jitter(ms) { return Math.round(ms * (0.8 + Math.random() * 0.4)); }

  function later(fn, ms) {
    clearTimeout(timer);
    timer = setTimeout(fn, jitter(Math.max(ms || 0, 250)));
  }

  // Exponential backoff on failures, never sooner than the server asked.
  function backoff(serverMs) {
    failures++;
    var ms = Math.min(30000, 1000 * Math.pow(2, Math.min(failures - 1, 5)));
    return Math.max(ms, serverMs || 0);
  }

  function retryAfterMs(response, body) {
    var header = Number(response.headers.get('Retry-After'));
    if (header > 0) { return header * 1000; }
    return body && body.retryAfterMs ? body.retryAfterMs : 0;
  }

  function readJson(response) {
    return response.json().catch(function () { return {}; });
  }

  // The countdown ticks each second between polls; the poll at the start brings the place in line.
  var ticking = 0;
  function countdown() {
    var left = Math.max(0, Math.ceil((Date.parse(state.startsAt) - Date.now()) / 1000));
    var text = left >= 3600 ? Math.floor(left / 3600) + ' h ' + pad(Math.floor(left % 3600 / 60)) + ' min'
      : left >= 60 ? Math.floor(left / 60) + ' min ' + pad(left % 60) + ' s' : left + ' s';
    setText('countdown', text);
    document.title = 'Opens in ' + text + ' · FluxGate waiting room';
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function tick() {
    if (!ticking && state.startsAt) { countdown(); ticking = setInterval(countdown, 1000); }
  }

  function render(s) {
    if (s.ticket) { state.ticket = s.ticket; }
    if (s.status !== 'upcoming' && ticking) { clearInterval(ticking); ticking = 0; }
    switch (s.status) {
      case 'upcoming':
        state.startsAt = s.startsAt;
        rememberTicket();
        setText('prequeue', number(s.preQueue || 0));
        if (state.view !== 'upcoming') { show('upcoming'); announce(s.msg); }
        tick();
        later(poll, s.retryAfterMs);
        break;
      case 'waiting':
        if (!state.from || s.position > state.from) { state.from = s.position; }
        rememberTicket();
        setText('position', number(s.position));
        setText('ahead', number(s.peopleAhead));
        setText('wait', s.estimatedWait);
        setText('serving', '#' + number(s.nowServing));
        setText('ticket', '#' + number(s.ticketNumber));
        var done = state.from > 0 ? Math.round(100 * (state.from - s.position) / state.from) : 0;
        $('progress').value = done;
        $('progress').textContent = done + '%';
        if (state.view !== 'waiting') { show('waiting'); }
        announce('You are number ' + number(s.position) + ' in line. Estimated wait: ' + s.estimatedWait + '.');
        later(poll, s.retryAfterMs);
        break;
      case 'served':
        rememberTicket();
        served();
        break;
      case 'sold_out':
        show('soldout');
        announce('Sold out. There is no need to keep waiting.');
        break;
      case 'not_on_sale':
        show('notonsale');
        announce('This product is not on sale.');
        break;
      default:
        fail('Something went wrong', s.msg || 'Unexpected answer from the waiting room.');
    }
  }

  function poll() {
    fetch(api + '/tickets/' + encodeURIComponent(state.ticket), { headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (response) {
        return readJson(response).then(function (body) {
          if (response.status === 404) { return join(); }
          if (!response.ok) { return later(poll, backoff(retryAfterMs(response, body))); }
          failures = 0;
          render(body);
        });
      })
      .catch(function () { later(poll, backoff(0)); });
  }

  // Only when the ticket is unknown (the line was reset): the same shopper gets their ticket back if it still exists.
  function join() {
    var identity = state.userId && state.idempotencyKey
      ? JSON.stringify({ userId: state.userId, idempotencyKey: state.idempotencyKey })
      : null;
    fetch(api + '/join', {
      method: 'POST',
      headers: identity ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { Accept: 'application/json' },
      body: identity,
      cache: 'no-store'
    })
      .then(function (response) {
        return readJson(response).then(function (body) {
          if (!response.ok) { return later(join, backoff(retryAfterMs(response, body))); }
          failures = 0;
          state.from = 0;
          render(body);
        });
      })
      .catch(function () { later(join, backoff(0)); });
  }

  function served() {
    if (state.userId && state.idempotencyKey) { return placeOrder(); }
    if (state.returnUrl) { return admit(); }
    show('admitted');
    announce("It's your turn. Go back to the shop to place your order.");
  }

  function placeOrder() {
    if (state.view !== 'ordering') { show('ordering'); }
    setText('ordering-msg', orderAttempts === 0 ? 'Placing your order…' : 'Still placing your order…');
    announce("It's your turn. Placing your order.");
    orderAttempts++;
    fetch(api + '/tickets/' + encodeURIComponent(state.ticket) + '/order', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ userId: state.userId, idempotencyKey: state.idempotencyKey }),
      cache: 'no-store'
    })
      .then(function (response) {
        return readJson(response).then(function (body) { ordered(response, body); });
      })
      .catch(function () { retryOrder(0); });
  }

  function ordered(response, body) {
    if (response.ok && (body.status === 'success' || body.status === 'ignored')) {
      setText('order-id', body.orderId || '—');
      show('success');
      announce('Order accepted. Your order number is ' + (body.orderId || 'on its way') + '.');
      return;
    }
    if (response.status === 409 && (body.status === 'waiting' || body.status === 'upcoming')) { return render(body); }
    if (response.status === 409 && body.status === 'not_on_sale') { return render(body); }
    if (response.status === 409 && body.status === 'limit_reached') {
      show('limitreached');
      announce('Purchase limit reached. You already have as many of this product as one customer may buy.');
      return;
    }
    if (response.status === 409) {
      show('soldout');
      announce('Sold out.');
      return;
    }
    if (response.status === 404) { return join(); }
    if (response.status === 429 || response.status >= 500) { return retryOrder(retryAfterMs(response, body)); }
    fail('We could not place your order', body.msg || body.error || ('The shop answered ' + response.status + '.'));
  }

  function retryOrder(serverMs) {
    if (orderAttempts >= MAX_ORDER_ATTEMPTS) {
      return fail('We could not place your order', 'The shop is not answering right now. Your place is kept: try again in a moment.');
    }
    later(placeOrder, backoff(serverMs));
  }

  function admit() {
    fetch(api + '/tickets/' + encodeURIComponent(state.ticket) + '/admission', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ returnUrl: state.returnUrl }),
      cache: 'no-store'
    })
      .then(function (response) {
        return readJson(response).then(function (body) {
          if (response.ok && body.redirectUrl) {
            $('admitted-link').href = body.redirectUrl;
            $('admitted-link-row').hidden = false;
            setText('admitted-msg', 'Taking you back to the shop…');
            show('admitted');
            announce("You're through. Taking you back to the shop.");
            window.location.assign(body.redirectUrl);
            return;
          }
          if (response.status === 409 || response.status === 404) { return response.status === 404 ? join() : render(body); }
          if (response.status >= 500) { return later(admit, backoff(retryAfterMs(response, body))); }
          fail('We could not let you through', body.msg || ('The waiting room answered ' + response.status + '.'));
        });
      })
      .catch(function () { later(admit, backoff(0)); });
  }

  function fail(title, message) {
    setText('h-error', title);
    setText('error-msg', message);
    show('error');
    announce(title + '. ' + message);
  }

  // The bare address: the page the shopper came from is the way back, when there is one.
  function offerWayBack() {
    if (window.history.length < 2) { return; }
    $('back').addEventListener('click', function (event) { event.preventDefault(); history.back(); });
    $('back-row').hidden = false;
  }

  // Pick up where the server-rendered page left off.
  rememberTicket();
  switch (state.view) {
    case 'entrance': offerWayBack(); break;
    case 'upcoming': tick(); later(poll, state.retryAfterMs); break;
    case 'waiting': later(poll, state.retryAfterMs); break;
    case 'ordering': placeOrder(); break;
    case 'admitted': if (state.returnUrl && state.ticket) { admit(); } break;
    case 'error': if (state.retryAfterMs) { later(function () { window.location.reload(); }, state.retryAfterMs); } break;
    default: break;
  }
})();
