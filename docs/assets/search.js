/* Site search, loaded only when the reader opens search (see overrides/main.html).
   Fetches this language's index (ehsaas_site/search.py: {strings, docs:[{location,title,text}]})
   and matches every typed word as a word start, in the title (worth more) or the text.
   Works on Urdu, Sindhi, Pashto and Punjabi text: diacritics and letter variants are folded, and
   the Roman names of the programme's components ("Kafalat") find their pages on every site. */
(function () {
  "use strict";
  var script = document.currentScript;
  var toggle = document.getElementById("__search");
  var input = document.querySelector(".md-search__input");
  var form = document.querySelector(".md-search__form");
  var meta = document.querySelector(".md-search-result__meta");
  var list = document.querySelector(".md-search-result__list");
  if (!script || !toggle || !input || !meta || !list) return;
  var base = new URL(script.dataset.base.replace(/\/?$/, "/"), document.baseURI);
  var MAX_RESULTS = 10;
  var docs = null;
  var strings = {};

  /* Arabic-script letter variants typed on different keyboards (Arabic, Sindhi and Pashto forms
     of a letter find its Urdu form: ڪ and ک, ډ and ڈ, the ye and he forms), from the index
     (`letters`, written by ehsaas_site/search.py from the service's one table); then the
     marks and digits. NFKC first, as the service folds: a letter with hamza stays one letter. */
  var FOLD = {};
  var VARIANTS = null;

  function normalize(text) {
    text = text.normalize("NFKC");
    if (VARIANTS) text = text.replace(VARIANTS, function (c) { return FOLD[c]; });
    return text.normalize("NFKD").toLowerCase()
      .replace(/[\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed\u200c\u200d\u0640]/g, "")
      .replace(/[\u0660-\u0669]/g, function (c) { return String(c.charCodeAt(0) - 0x660); })
      .replace(/[\u06f0-\u06f9]/g, function (c) { return String(c.charCodeAt(0) - 0x6f0); });
  }

  /* Letters and digits of any script; older browsers without \p{} get "not space or ASCII
     or Arabic punctuation" instead of a syntax error that would leave search dead. */
  var WORD;
  try { WORD = new RegExp("[\\p{L}\\p{N}]+", "gu"); }
  catch (e) { WORD = /[^\s!-\/:-@\[-`{-~\u060c\u061b\u061f\u06d4\u00a0]+/g; }

  function words(text) {
    return normalize(text).match(WORD) || [];
  }

  function prepare(index) {
    strings = index.strings || {};
    FOLD = index.letters || {};
    var letters = Object.keys(FOLD).join("");
    VARIANTS = letters ? new RegExp("[" + letters + "]", "g") : null;
    var titles = {};
    index.docs.forEach(function (doc) {
      if (doc.location.indexOf("#") < 0) titles[doc.location] = doc.title;
    });
    docs = index.docs.map(function (doc) {
      var page = doc.location.split("#")[0];
      var pageTitle = titles[page];
      return {
        href: new URL(doc.location, base).href,
        title: pageTitle && pageTitle !== doc.title ? pageTitle + " \u00b7 " + doc.title : doc.title,
        text: doc.text,
        /* Roman names ("Kafalat") count as title words on every language's site. */
        titleWords: words(doc.title + " " + (doc.names || "")),
        textWords: words(doc.text)
      };
    });
  }

  function hits(wordList, term) {
    var count = 0;
    for (var i = 0; i < wordList.length; i++) if (wordList[i].indexOf(term) === 0) count++;
    return count;
  }

  function search(query) {
    var terms = words(query);
    if (!terms.length) return null;
    var found = [];
    docs.forEach(function (doc) {
      var score = 0;
      for (var i = 0; i < terms.length; i++) {
        var inTitle = hits(doc.titleWords, terms[i]);
        var inText = hits(doc.textWords, terms[i]);
        if (!inTitle && !inText) return;
        score += inTitle * 10 + Math.min(inText, 5);
      }
      found.push({ doc: doc, score: score });
    });
    /* One result per page: its best-matching section. */
    var best = {};
    found.forEach(function (hit) {
      var page = hit.doc.href.split("#")[0];
      if (!best[page] || hit.score > best[page].score) best[page] = hit;
    });
    var pages = Object.keys(best).map(function (page) { return best[page]; });
    pages.sort(function (a, b) { return b.score - a.score; });
    return { terms: terms, results: pages.slice(0, MAX_RESULTS), total: pages.length };
  }

  /* `text` folded like the index words, with each folded character's position in `text`. */
  function folded(text) {
    var out = "", pos = [];
    for (var i = 0; i < text.length; i++) {
      var n = normalize(text[i]);
      for (var k = 0; k < n.length; k++) { out += n[k]; pos.push(i); }
    }
    pos.push(text.length);
    return { s: out, pos: pos };
  }

  /* A short piece of text around the first word that matched, as DOM nodes (never innerHTML). */
  function snippet(text, terms) {
    var p = document.createElement("p");
    var f = folded(text), from = -1, to = -1;
    for (var i = 0; i < terms.length && from < 0; i++) {
      var at = f.s.indexOf(terms[i]);
      if (at >= 0) { from = f.pos[at]; to = f.pos[at + terms[i].length - 1] + 1; }
    }
    var start = from > 40 ? from - 40 : 0, end = Math.min(text.length, start + 160);
    var before = (start > 0 ? "\u2026" : "") + text.slice(start, from < 0 ? end : from);
    if (from < 0 || to > end) {
      p.textContent = before + (end < text.length ? "\u2026" : "");
      return p;
    }
    var mark = document.createElement("mark");
    mark.textContent = text.slice(from, to);
    p.append(before, mark, text.slice(to, end) + (end < text.length ? "\u2026" : ""));
    return p;
  }

  function render() {
    list.textContent = "";
    if (!docs) return;
    var outcome = search(input.value);
    if (!outcome) { meta.textContent = strings.type || ""; return; }
    var n = outcome.total;
    meta.textContent = n === 0 ? strings.none : n === 1 ? strings.one : (strings.other || "").replace("{count}", n);
    outcome.results.forEach(function (result) {
      var item = document.createElement("li");
      item.className = "md-search-result__item";
      var link = document.createElement("a");
      link.className = "md-search-result__link";
      link.href = result.doc.href;
      var article = document.createElement("article");
      article.className = "md-search-result__article md-typeset";
      var title = document.createElement("h1");
      title.textContent = result.doc.title;
      article.append(title, snippet(result.doc.text, outcome.terms));
      link.append(article);
      item.append(link);
      list.append(item);
    });
  }

  function open() {
    if (toggle.checked) input.focus();
  }

  input.addEventListener("input", render);
  form.addEventListener("reset", function () { setTimeout(render, 0); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = list.querySelector("a");
    if (first) location.href = first.href;
  });
  toggle.addEventListener("change", open);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.checked) { toggle.checked = false; input.blur(); }
  });
  /* Choosing a result that points into this same page: close search so the text shows. */
  list.addEventListener("click", function () { toggle.checked = false; });

  fetch(new URL(script.dataset.index, document.baseURI))
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(function (index) { prepare(index); render(); open(); })
    .catch(function () {
      var loader = document.querySelector("script[data-error]");
      meta.textContent = strings.error || (loader ? loader.dataset.error : "");
    });
})();
