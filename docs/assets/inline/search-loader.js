/* Inlined in every page (overrides/main.html, minified at build time by ehsaas_site/scripts.py):
   loads assets/search.js the first time the reader opens search, with the attributes of this
   script element (`me`): data-src (search.js), data-index (this language's index), data-base,
   and data-error (what to say if search.js cannot load).
   Short names (t: the search toggle, q: the search box, s: the script), as this is in every page. */
(function (me) {
  var d = document;
  var t = d.getElementById("__search");
  var q = d.querySelector(".md-search__input");
  if (!t || !q) return;
  function go() {
    if (go.done) return;
    go.done = 1;
    var s = d.createElement("script");
    s.src = me.dataset.src;
    s.dataset.index = me.dataset.index;
    s.dataset.base = me.dataset.base;
    s.onerror = function () {
      d.querySelector(".md-search-result__meta").textContent = me.dataset.error;
    };
    d.body.appendChild(s);
  }
  t.addEventListener("change", go);
  q.addEventListener("focus", go);
})(document.currentScript);
