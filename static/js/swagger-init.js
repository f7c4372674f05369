// Starts Swagger UI on <div id="swagger-ui" data-spec-url="..." data-config="{...}">.
// Kept in a file because the Content-Security-Policy forbids inline <script>.
// Needs vendor/swagger-ui/swagger-ui-bundle.js and swagger-ui-standalone-preset.js loaded first.
(function () {
  function start() {
    var el = document.getElementById('swagger-ui');
    if (!el) return;
    var config = {
      url: el.dataset.specUrl,
      dom_id: '#swagger-ui',
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      // BaseLayout: no StandaloneLayout top bar (spec URL box / explore button).
      layout: 'BaseLayout'
    };
    // Optional JSON overrides (flask-smorest's OPENAPI_SWAGGER_UI_CONFIG).
    var extra = el.dataset.config ? JSON.parse(el.dataset.config) : {};
    for (var key in extra) config[key] = extra[key];
    window.ui = SwaggerUIBundle(config);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
