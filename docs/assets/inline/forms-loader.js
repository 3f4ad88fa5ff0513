/* Inlined in pages with a form that posts (overrides/main.html, minified at build time by
   ehsaas_site/scripts.py): loads assets/forms.js when the reader first touches such a form, or at
   once if this page holds text they wrote but did not send. Every data-* attribute of this
   script element (`me`) is copied to the loaded one. The forms work without it.
   Short names (s: the script, k: the saved-text key, f: a form), as this is in every such page. */
(function (me) {
  var d = document;
  var k = "fb:" + location.pathname + ":";
  function go() {
    if (go.done) return;
    go.done = 1;
    var s = d.createElement("script");
    for (var a in me.dataset) s.dataset[a] = me.dataset[a];
    s.src = me.dataset.src;
    d.body.appendChild(s);
  }
  try {
    if (localStorage.getItem(k + "form") || localStorage.getItem(k + "rating")) go();
  } catch (e) { /* storage blocked: load on the first touch instead */ }
  ["focusin", "change"].forEach(function (t) {
    d.addEventListener(t, function (e) {
      var f = e.target.form;
      if (f && f.method == "post" && f.classList.contains("fb-form")) go();
    }, true);
  });
})(document.currentScript);
