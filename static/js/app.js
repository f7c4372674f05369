// Tailtown site script. Kept in a file because the Content-Security-Policy forbids inline <script>.
// Sends the CSRF token with every htmx request as the X-CSRFToken header, taken from
// <meta name="csrf-token" content="..."> when the request is made (so a swapped-in token is used).
document.addEventListener('htmx:configRequest', function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) {
    event.detail.headers['X-CSRFToken'] = meta.content;
  }
});
