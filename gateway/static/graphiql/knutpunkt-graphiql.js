/* Knutpunkt's GraphiQL page: starts GraphiQL with the explorer plugin and, in the
 * demo, the role switcher that fills the Authorization header with a persona's token.
 * Loaded as a file of its own: the page's Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  var body = document.body;
  var endpoint = new URL(body.getAttribute("data-endpoint") || "/graphql", location.href).href;
  var tokenUrl = body.getAttribute("data-demo-token-url") || "";
  var select = document.getElementById("kp-persona");
  var status = document.getElementById("kp-status");
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  var headers = "";
  var defaultQuery = [
    "# Knutpunkt: kommunens ärenden i ett GraphQL-API.",
    "# Token: välj roll ovan (demo) eller ange den under Headers.",
    "",
    "{",
    "  viewer { role name }",
    "}",
    ""
  ].join("\n");

  function render() {
    root.render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        plugins: [explorer],
        defaultQuery: defaultQuery,
        headers: headers,
        defaultEditorToolsVisibility: tokenUrl ? "headers" : false,
        shouldPersistHeaders: false
      })
    );
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function choose(persona) {
    say("Hämtar token…");
    fetch(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ persona: persona })
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        headers = data.token
          ? JSON.stringify({ Authorization: "Bearer " + data.token }, null, 2)
          : "";
        say(data.token ? "Token i Authorization-headern." : "Ingen token: allmänheten.");
        body.setAttribute("data-persona", persona);
        render();
      })
      .catch(function () {
        say("Kunde inte hämta en token.");
      });
  }

  if (select && tokenUrl) {
    select.addEventListener("change", function () {
      choose(select.value);
    });
  }
  render();
})();
