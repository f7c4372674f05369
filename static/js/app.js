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
