// sim app: when the page's browser files (Solara's front end, which the dashboard serves
// itself from its own folder, see sim/app_assets.py) do not load, say so on the page
// instead of leaving it blank. Solara's page template includes this file before RequireJS.
(function () {
    var CDN = "/_solara/cdn/";
    var shown = false;
    function show(what) {
        if (shown) {
            return;
        }
        shown = true;
        var box = document.createElement("div");
        box.id = "sim-assets-missing";
        box.setAttribute("role", "alert");
        box.setAttribute(
            "style",
            "position:fixed;top:0;left:0;right:0;z-index:100000;padding:24px 32px;" +
            "background:#fff3cd;color:#222;font:16px/1.5 sans-serif;border-bottom:3px solid #c60"
        );
        var title = document.createElement("strong");
        title.textContent = "The dashboard's browser files did not load, so this page cannot start.";
        var text = document.createElement("div");
        text.textContent =
            "Missing: " + what + ". Stop the dashboard (Ctrl-C in its terminal) and start it " +
            "again with `uv run sim app`: it fetches the missing files once from the npm " +
            "registry (this needs npm, e.g. apt-get install npm) and says in the terminal " +
            "what it could not do. See the README, section 'The dashboard'.";
        box.appendChild(title);
        box.appendChild(text);
        (document.body || document.documentElement).appendChild(box);
    }
    function fromCdn(url) {
        return typeof url === "string" && url.indexOf(CDN) >= 0;
    }
    // the Vuetify app is loaded before this file: without it there is no `solara` object
    if (typeof window.solara === "undefined") {
        show("Solara's Vuetify app");
    }
    // scripts and style sheets that fail later (RequireJS, KaTeX, Mermaid, ...)
    window.addEventListener("error", function (event) {
        var target = event.target;
        var url = target && (target.src || target.href);
        if (fromCdn(url)) {
            show(url.slice(url.indexOf(CDN) + CDN.length));
        }
    }, true);
    // style sheets in the page head may have failed before this file ran
    window.addEventListener("load", function () {
        var links = document.querySelectorAll("link[rel=stylesheet]");
        for (var i = 0; i < links.length; i++) {
            if (fromCdn(links[i].href) && !links[i].sheet) {
                show(links[i].href.slice(links[i].href.indexOf(CDN) + CDN.length));
            }
        }
        if (typeof window.requirejs === "undefined") {
            show("RequireJS");
        }
    });
})();
