// The live dashboard that gateway/dashboard.py serves at /dashboard (our own code; the one
// third-party script is graphql-ws's UMD build, loaded before this one, which defines the
// global graphqlWs).
//
// It follows the gateway's subscriptions over one WebSocket (graphql-transport-ws) to the
// GraphQL endpoint named by data-endpoint, for the scope named by data-package and
// data-release:
//   - everything: every build, update and bug;
//   - a package: buildStateChanged(package), updateChanged(package) and
//     bugChanged(component), and packageChanged(name) for the panel of its latest builds;
//   - a release (F45): updateChanged(release). Neither buildStateChanged nor bugChanged
//     takes a release, so their events are filtered here, in the browser: a build belongs
//     to F45 when its release field carries the dist tag ".fc45" ("1.fc45", "2.fc45.1"),
//     and a bug when it was filed against Bugzilla's version "45" (or "rawhide", while F45
//     is rawhide). Every dashboard of one release thus sends the same operations as the
//     "everything" one, and the gateway runs those once for all of them.
//
// Each column keeps one row per build, update or bug, newest first, moved to the top when
// it changes again, and at most MAX_ROWS of them. Everything the gateway sends goes into
// the page as text (textContent, text nodes) and links only through a checked href: no
// data is ever parsed as HTML.
(function () {
  "use strict";

  var MAX_ROWS = 100;

  var root = document.getElementById("dashboard");
  var statusLine = document.getElementById("status");
  var problem = document.getElementById("problem");

  var endpoint = new URL(root.dataset.endpoint, window.location.href);
  endpoint.search = "";
  endpoint.hash = "";
  var socketUrl = new URL(endpoint.href);
  socketUrl.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  var scope = {
    package: root.dataset.package || null,
    release: root.dataset.release || null,
  };

  // -- the operations --------------------------------------------------------------------

  var BUILDS = [
    "subscription DashboardBuilds($package: String) {",
    "  buildStateChanged(package: $package) {",
    "    previousState at",
    "    build { id nvr release state url owner { name } }",
    "  }",
    "}",
  ].join("\n");

  var UPDATES = [
    "subscription DashboardUpdates($package: String, $release: String) {",
    "  updateChanged(package: $package, release: $release) {",
    "    topic at",
    "    update { alias title status request karma url release { name } }",
    "  }",
    "}",
  ].join("\n");

  var BUGS = [
    "subscription DashboardBugs($component: String) {",
    "  bugChanged(component: $component) {",
    "    new topic at",
    "    bug { id summary status component version url }",
    "  }",
    "}",
  ].join("\n");

  var LATEST_FIELDS = "latestBuilds { tag channel build { nvr url } }";

  var PACKAGE = [
    "subscription DashboardPackage($name: String!) {",
    "  packageChanged(name: $name) { reasons at package { " + LATEST_FIELDS + " } }",
    "}",
  ].join("\n");

  var LATEST = [
    "query DashboardLatest($name: String!) {",
    "  package(name: $name) { " + LATEST_FIELDS + " }",
    "}",
  ].join("\n");

  var RELEASES = "query DashboardReleases { releases { name isRawhide } }";

  // -- building the page, as text only --------------------------------------------------

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    });
    (children || []).forEach(function (child) {
      // append() makes a text node of a string: it is never parsed as HTML.
      if (child !== null && child !== undefined) node.append(child);
    });
    return node;
  }

  function safeHref(value) {
    if (typeof value !== "string") return null;
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function link(href, text) {
    var safe = safeHref(href);
    if (safe === null) return el("span", {}, [text]);
    return el("a", { href: safe, target: "_blank", rel: "noopener noreferrer" }, [text]);
  }

  function badge(kind, value) {
    return el("span", { class: "badge", "data-kind": kind, "data-value": value }, [value]);
  }

  function when(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return el("time", {}, [String(iso)]);
    return el("time", { datetime: iso, title: date.toLocaleString() }, [
      date.toLocaleTimeString(),
    ]);
  }

  function joined(parts) {
    var out = [];
    parts.forEach(function (part) {
      if (part === null || part === undefined || part === "") return;
      if (out.length) out.push(" · ");
      out.push(part);
    });
    return out;
  }

  // One column: a row per key, newest first, at most MAX_ROWS.
  function Column(list) {
    this.list = list;
    this.rows = new Map();
  }

  Column.prototype.put = function (key, row) {
    var previous = this.rows.get(key);
    if (previous) previous.remove();
    row.dataset.key = key;
    this.rows.set(key, row);
    this.list.prepend(row);
    while (this.list.children.length > MAX_ROWS) {
      var last = this.list.lastElementChild;
      this.rows.delete(last.dataset.key);
      last.remove();
    }
  };

  var builds = new Column(document.getElementById("builds"));
  var updates = new Column(document.getElementById("updates"));
  var bugs = new Column(document.getElementById("bugs"));

  // -- the scope's filters --------------------------------------------------------------

  var releaseNumber = scope.release ? scope.release.replace(/^[Ff]/, "") : null;
  // ".fc45" followed by anything but a digit: "1.fc45" and "1.fc45.1", not "1.fc450".
  var distTag = releaseNumber ? new RegExp("\\.fc" + releaseNumber + "(?![0-9])") : null;
  var releaseIsRawhide = false;

  function buildInScope(build) {
    return distTag === null || distTag.test(build.release);
  }

  function bugInScope(bug) {
    if (releaseNumber === null) return true;
    return bug.version === releaseNumber || (releaseIsRawhide && bug.version === "rawhide");
  }

  // -- the rows -------------------------------------------------------------------------

  function showBuild(event) {
    var build = event.build;
    if (!buildInScope(build)) return;
    var moved = (event.previousState || "new") + " → " + build.state;
    var row = el(
      "li",
      { class: "row", "data-testid": "build-row", "data-nvr": build.nvr, "data-state": build.state },
      [
        el("div", { class: "line" }, [link(build.url, build.nvr), badge("state", build.state)]),
        el("div", { class: "meta" }, joined([moved, build.owner && build.owner.name, when(event.at)])),
      ]
    );
    builds.put("build:" + build.id, row);
  }

  function showUpdate(event) {
    var update = event.update;
    var topic = String(event.topic || "").replace(/^bodhi\.update\./, "");
    var request = update.request ? "→ " + update.request : null;
    var karma = update.karma === null || update.karma === undefined ? null : "karma " + update.karma;
    var row = el(
      "li",
      { class: "row", "data-testid": "update-row", "data-alias": update.alias, "data-status": update.status },
      [
        el("div", { class: "line" }, [
          link(update.url, update.alias),
          badge("status", update.status),
          update.release ? el("span", { class: "release" }, [update.release.name]) : null,
        ]),
        update.title ? el("div", { class: "title" }, [update.title]) : null,
        el("div", { class: "meta" }, joined([topic, request, karma, when(event.at)])),
      ]
    );
    updates.put("update:" + update.alias, row);
  }

  function showBug(event) {
    var bug = event.bug;
    if (!bugInScope(bug)) return;
    var row = el(
      "li",
      { class: "row", "data-testid": "bug-row", "data-bug-id": bug.id, "data-new": event.new },
      [
        el("div", { class: "line" }, [
          link(bug.url, "#" + bug.id),
          badge("bug", bug.status),
          el("span", { class: "component" }, [bug.component]),
        ]),
        el("div", { class: "title" }, [bug.summary]),
        el("div", { class: "meta" }, joined([event.new ? "new" : "changed", when(event.at)])),
      ]
    );
    bugs.put("bug:" + bug.id, row);
  }

  var latestSection = document.getElementById("latest");
  var latestBody = document.getElementById("latest-builds");
  var latestNote = document.getElementById("latest-note");

  function showLatest(pkg, note) {
    latestBody.replaceChildren();
    if (pkg === null) {
      latestNote.textContent = "(koji does not know this package)";
      return;
    }
    (pkg.latestBuilds || []).forEach(function (tagged) {
      latestBody.append(
        el("tr", { "data-testid": "latest-build", "data-tag": tagged.tag, "data-nvr": tagged.build.nvr }, [
          el("td", {}, [tagged.tag]),
          el("td", {}, [tagged.channel]),
          el("td", {}, [link(tagged.build.url, tagged.build.nvr)]),
        ])
      );
    });
    latestNote.textContent = note;
  }

  // -- status and problems --------------------------------------------------------------

  var everConnected = false;

  function setStatus(state, text) {
    statusLine.dataset.state = state;
    statusLine.textContent = text;
  }

  function describe(error) {
    if (Array.isArray(error)) {
      return error.map(function (e) { return e && e.message ? e.message : String(e); }).join("; ");
    }
    if (error && typeof error.code === "number") {
      return "the connection closed (" + error.code + (error.reason ? ": " + error.reason : "") + ")";
    }
    return error && error.message ? error.message : String(error);
  }

  function report(error) {
    problem.textContent = describe(error);
    problem.hidden = false;
  }

  // -- reading over HTTP ----------------------------------------------------------------

  function query(document_, variables) {
    return fetch(endpoint.href, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: document_, variables: variables }),
    }).then(function (response) {
      return response.json();
    }).then(function (body) {
      if (body.errors && body.errors.length) report(body.errors);
      return body.data || null;
    });
  }

  function readLatest(note) {
    if (scope.package === null) return;
    query(LATEST, { name: scope.package })
      .then(function (data) {
        if (data) showLatest(data.package, note);
      })
      .catch(report);
  }

  // -- the subscriptions ----------------------------------------------------------------

  if (typeof window.graphqlWs === "undefined") {
    setStatus("offline", "offline");
    report("The graphql-ws library could not be loaded from the gateway.");
    return;
  }

  var client = window.graphqlWs.createClient({
    url: socketUrl.href,
    lazy: false,
    keepAlive: 10000,
    retryAttempts: Infinity,
    // 1 s, 2 s, 4 s… up to 30 s, with jitter, so that a restarted gateway is not stormed.
    retryWait: function (retries) {
      var delay = Math.min(1000 * Math.pow(2, retries), 30000);
      return new Promise(function (resolve) {
        setTimeout(resolve, delay * (0.5 + Math.random() / 2));
      });
    },
    onNonLazyError: function (error) {
      setStatus("offline", "offline");
      report(error);
    },
    on: {
      connecting: function () {
        setStatus(everConnected ? "reconnecting" : "connecting", everConnected ? "reconnecting…" : "connecting…");
      },
      connected: function () {
        setStatus("live", "live");
        problem.hidden = true;
        // Changes made while the socket was down were not seen: read the panel anew.
        if (everConnected) readLatest("(re-read after reconnecting)");
        everConnected = true;
      },
      closed: function () {
        if (everConnected && statusLine.dataset.state !== "offline") {
          setStatus("reconnecting", "reconnecting…");
        }
      },
    },
  });

  function follow(document_, variables, show) {
    client.subscribe(
      { query: document_, variables: variables },
      {
        next: function (result) {
          if (result.errors && result.errors.length) report(result.errors);
          if (result.data) show(result.data);
        },
        error: report,
        complete: function () {},
      }
    );
  }

  follow(BUILDS, { package: scope.package }, function (data) {
    showBuild(data.buildStateChanged);
  });
  follow(UPDATES, { package: scope.package, release: scope.release }, function (data) {
    showUpdate(data.updateChanged);
  });
  follow(BUGS, { component: scope.package }, function (data) {
    showBug(data.bugChanged);
  });

  if (scope.package !== null) {
    latestSection.hidden = false;
    readLatest("");
    // Each change carries the package's latest builds as they are now, read after the
    // gateway refilled its cache; a resync (changes may have been missed) is one more such
    // read, so it is shown the same way.
    follow(PACKAGE, { name: scope.package }, function (data) {
      var change = data.packageChanged;
      var note = change.reasons.indexOf("resync") >= 0 ? "re-read" : change.reasons.join(", ");
      showLatest(change.package, "(" + note + " at " + new Date(change.at).toLocaleTimeString() + ")");
    });
  }

  if (distTag !== null) {
    document.getElementById("builds-note").textContent = "(release .fc" + releaseNumber + ")";
    document.getElementById("bugs-note").textContent = "(version " + releaseNumber + ")";
    query(RELEASES, {})
      .then(function (data) {
        (data && data.releases ? data.releases : []).forEach(function (release) {
          if (release.isRawhide && release.name.toUpperCase() === scope.release) {
            releaseIsRawhide = true;
            document.getElementById("bugs-note").textContent = "(version " + releaseNumber + " or rawhide)";
          }
        });
      })
      .catch(report);
  }

  window.addEventListener("pagehide", function () {
    client.dispose();
  });
})();
