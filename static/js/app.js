// Tailtown site script. Kept in a file because the Content-Security-Policy forbids inline <script>.
// Sends the CSRF token with every htmx request as the X-CSRFToken header, taken from
// <meta name="csrf-token" content="..."> when the request is made (so a swapped-in token is used).
document.addEventListener('htmx:configRequest', function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) {
    event.detail.headers['X-CSRFToken'] = meta.content;
  }
});

// Keyboard navigation for search results: ArrowDown from the search box enters the results,
// ArrowUp/ArrowDown move between them, Escape returns to the search box. Enter follows the link.
document.addEventListener('keydown', function (event) {
  var search = document.getElementById('customer-search');
  if (!search || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp' && event.key !== 'Escape')) {
    return;
  }
  var links = Array.prototype.slice.call(document.querySelectorAll('#customer-results a.result'));
  var index = links.indexOf(document.activeElement);
  if (document.activeElement === search && event.key === 'ArrowDown' && links.length) {
    links[0].focus();
  } else if (index >= 0 && event.key === 'ArrowDown' && index < links.length - 1) {
    links[index + 1].focus();
  } else if (index > 0 && event.key === 'ArrowUp') {
    links[index - 1].focus();
  } else if (index >= 0 && (event.key === 'Escape' || (event.key === 'ArrowUp' && index === 0))) {
    search.focus();
  } else {
    return;
  }
  event.preventDefault();
});

// The collapsing nav: with script, narrow screens hide the menu behind the Menu button (CSS keys on .js).
document.documentElement.classList.add('js');
document.addEventListener('click', function (event) {
  var toggle = event.target.closest('.nav-toggle');
  if (!toggle) {
    return;
  }
  var menu = document.getElementById(toggle.getAttribute('aria-controls'));
  var open = toggle.getAttribute('aria-expanded') !== 'true';
  toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
  menu.classList.toggle('open', open);
});

// Focus and announcements after a form comes back, done once for every page:
// - a form with errors: focus its first invalid field (else its error message) and read the errors out;
// - an editor opened in place (e.g. "Edit" on a household): focus its first field;
// - the element that had focus was replaced (e.g. Save, Cancel, a status button): focus its counterpart
//   in the new content, else the first control there, so the next Tab does not start from the top.
var FIELDS = 'input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])';
var FOCUSABLE = FIELDS + ', button:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

function visible(el) {
  return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
}

function first(root, selector) {
  var found = Array.prototype.filter.call(root.querySelectorAll(selector), visible);
  return found.length ? found[0] : null;
}

function announce(text) {
  var region = document.getElementById('announcer');
  if (!region) {
    return;
  }
  region.textContent = '';
  // A fresh text node after a tick, so the same message twice is announced twice.
  window.setTimeout(function () { region.textContent = text; }, 50);
}

function errorText(root) {
  var parts = [];
  var message = first(root, MESSAGES);
  if (message) {
    parts.push(message.textContent.trim());
  }
  Array.prototype.forEach.call(root.querySelectorAll('[aria-invalid="true"]'), function (field) {
    var label = field.labels && field.labels.length ? field.labels[0].textContent.trim() : field.name;
    var ids = (field.getAttribute('aria-describedby') || '').split(/\s+/);
    var described = ids.map(function (id) { var el = id && document.getElementById(id); return el ? el.textContent.trim() : ''; })
      .filter(Boolean).join(' ');
    parts.push(label + ': ' + (described || 'invalid'));
  });
  return parts.join('. ');
}

var MESSAGES = '.flash-error, .field-error, .error[role=alert]';

// Returns true when root held errors: they are announced, and focus moves to them when `move`.
function focusErrors(root, move) {
  var invalid = first(root, '[aria-invalid="true"]');
  if (invalid && invalid.tagName === 'FIELDSET') {
    invalid = first(invalid, FIELDS) || invalid;
  }
  var target = invalid || first(root, MESSAGES);
  if (!target) {
    return false;
  }
  announce(errorText(root));
  if (!move) {
    return true;
  }
  if (!target.matches(FOCUSABLE)) {
    target.setAttribute('tabindex', '-1');
  }
  target.focus();
  return true;
}

function counterpart(root, lost) {
  if (lost.id && root.querySelector('#' + CSS.escape(lost.id))) {
    return root.querySelector('#' + CSS.escape(lost.id));
  }
  if (lost.name && lost.value !== undefined) {
    return root.querySelector(lost.tagName + '[name="' + CSS.escape(lost.name) + '"][value="' + CSS.escape(lost.value) + '"]');
  }
  return null;
}

var focusBeforeSwap = null;
document.addEventListener('htmx:beforeSwap', function () {
  focusBeforeSwap = document.activeElement;
});

document.addEventListener('htmx:afterSettle', function (event) {
  var target = event.detail.target;
  var root = target && target.isConnected ? target : (target && target.id && document.getElementById(target.id));
  if (!root) {
    return;
  }
  var lost = focusBeforeSwap && !focusBeforeSwap.isConnected ? focusBeforeSwap : null;
  var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
  // A live form (the try-it quote reprices on change) never takes focus from the field being typed in.
  var submitted = (trigger && trigger.type === 'submit') || lost || document.activeElement === document.body;
  if (focusErrors(root, submitted)) {
    return;
  }
  var opened = event.detail.requestConfig && event.detail.requestConfig.verb === 'get' && lost && root.querySelector('form');
  var next = opened ? first(root, FIELDS) : (lost ? counterpart(root, lost) || first(root, FOCUSABLE) : null);
  if (next) {
    next.focus();
  }
});

// A full page that comes back with errors (a form posted without htmx) gets the same treatment.
document.addEventListener('DOMContentLoaded', function () {
  var main = document.getElementById('main');
  if (main && main.querySelector('[aria-invalid="true"]')) {
    focusErrors(main, true);
  }
});
