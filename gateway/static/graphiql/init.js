// Starts GraphiQL on the page that gateway/graphiql.py renders (our own code, no
// third-party code). The page loads React 18's and GraphiQL 3's UMD bundles first,
// which define the globals React, ReactDOM and GraphiQL. Queries and mutations go
// over HTTP to the endpoint named by data-endpoint; subscriptions over a WebSocket
// (graphql-transport-ws) to the same path.
(function () {
  "use strict";

  var root = document.getElementById("graphiql");

  if (typeof window.GraphiQL === "undefined" || typeof window.ReactDOM === "undefined") {
    root.textContent =
      "GraphiQL could not be loaded: its assets are neither installed on the gateway " +
      "(run `npm ci` at the repository root) nor reachable on the CDN.";
    return;
  }

  var url = new URL(root.dataset.endpoint, window.location.href);
  url.search = "";
  url.hash = "";
  var subscriptionUrl = new URL(url.href);
  subscriptionUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  var fetcher = window.GraphiQL.createFetcher({
    url: url.href,
    subscriptionUrl: subscriptionUrl.href,
  });

  var props = {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    // Headers may carry credentials: keep them out of localStorage.
    shouldPersistHeaders: false,
  };
  if (root.dataset.defaultQuery !== undefined) {
    props.defaultQuery = root.dataset.defaultQuery;
  }

  window.ReactDOM.createRoot(root).render(window.React.createElement(window.GraphiQL, props));
})();
