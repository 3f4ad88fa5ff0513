/*
 * The site's forms, enhanced (they work without this: plain posts, 303 to the service's pages).
 * Loaded by a small inline script in overrides/main.html on the reader's first touch of a form
 * that posts (or at once when this page holds text they wrote but did not send); its data-*
 * attributes are copied onto this script (data-districts: the district suggestions).
 * - Submits in place: posts the same form data and shows what the service answers (its own
 *   confirmation, thank-you or error page, whose <main> holds the same markup and strings in
 *   the reader's language), so the page, the reference and the errors need no copy here.
 * - Keeps the reader's text: saved while typing (the message in localStorage; name and
 *   contact only in sessionStorage, gone when the tab closes, as phones are often shared),
 *   restored after a reload, forgotten once sent. When the network drops it says so in the
 *   reader's language (OFFLINE) and the reader presses Send again.
 * - "Was this page helpful?": the comment box hides while "Yes" is chosen (shown for "No").
 * - District suggestions (data/districts.yml, as assets/districts.json) load on first focus.
 * Minified when the site is built (ehsaas_site/scripts.py, rjsmin).
 */
(function () {
  "use strict";
  var d = document, me = d.currentScript;
  if (!me || !window.fetch || !window.FormData || !window.URLSearchParams || !window.DOMParser) return;
  // "Not sent, no connection" in every language, filled in from data/strings by ehsaas_site/forms.py
  // when the site is built: here, and not in every page, it costs a page nothing.
  var OFFLINE = {};
  var DISTRICTS = me.getAttribute("data-districts");
  var PERSONAL = { name: 1, contact: 1, consent_to_contact: 1 };
  var TIMEOUT = 60000;

  function store(kind) {
    try { return window[kind]; } catch (e) { return null; }
  }
  function keyOf(form) {
    return "fb:" + location.pathname + ":" + (form.classList.contains("fb-rating") ? "rating" : "form");
  }
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "hidden" && el.name !== "website" && el.type !== "submit";
    });
  }
  function save(form) {
    var plain = {}, personal = {};
    fields(form).forEach(function (el) {
      var value = (el.type === "radio" || el.type === "checkbox") ? (el.checked ? el.value : null) : el.value;
      if (value === null) return;
      (PERSONAL[el.name] ? personal : plain)[el.name] = value;
    });
    write("localStorage", keyOf(form), plain);
    write("sessionStorage", keyOf(form), personal);
  }
  function write(kind, key, data) {
    var s = store(kind);
    try { if (s) s.setItem(key, JSON.stringify(data)); } catch (e) { return; }
  }
  function forget(form) {
    ["localStorage", "sessionStorage"].forEach(function (kind) {
      var s = store(kind);
      try { if (s) s.removeItem(keyOf(form)); } catch (e) { return; }
    });
  }
  function restore(form) {
    ["localStorage", "sessionStorage"].forEach(function (kind) {
      var s = store(kind), data = null;
      try { data = s && JSON.parse(s.getItem(keyOf(form)) || "null"); } catch (e) { data = null; }
      if (!data) return;
      fields(form).forEach(function (el) {
        if (!(el.name in data)) return;
        if (el.type === "radio" || el.type === "checkbox") el.checked = data[el.name] === el.value;
        else if (!el.value) el.value = data[el.name];
      });
    });
  }

  function commentBox(form) {
    var box = form.querySelector(".fb-comment");
    if (!box || !form.querySelector("input[name=helpful][value=yes]")) return;
    var yes = form.querySelector("input[name=helpful][value=yes]");
    var show = function () { box.hidden = yes.checked && !box.querySelector("textarea").value; };
    form.addEventListener("change", show);
    show();
  }

  function districts(form) {
    var input = form.querySelector("input[list]"), list = input && d.getElementById(input.getAttribute("list"));
    if (!list || !DISTRICTS) return;
    var fill = function () {
      if (list.options.length || list.loading) return;
      list.loading = true;
      fetch(DISTRICTS).then(function (r) { return r.json(); }).then(function (data) {
        var lang = form.getAttribute("lang");
        data.regions.forEach(function (region) {
          region.districts.forEach(function (name) {
            var o = d.createElement("option");
            o.value = name;
            o.label = region.names[lang] || region.names.en;
            list.appendChild(o);
          });
        });
      }).catch(function () { list.loading = false; });
    };
    input.addEventListener("focus", fill);
    // This script may arrive while the reader is already in the field.
    if (d.activeElement === input) fill();
  }

  // Links and form targets in the service's answer, made absolute (the service may be
  // elsewhere); links within the page (#field) stay as they are.
  function absolute(root, base) {
    [["a", "href"], ["form", "action"]].forEach(function (pair) {
      Array.prototype.forEach.call(root.querySelectorAll(pair[0] + "[" + pair[1] + "]"), function (el) {
        var value = el.getAttribute(pair[1]);
        if (value.charAt(0) !== "#") el.setAttribute(pair[1], new URL(value, base).href);
      });
    });
  }

  function notice(form, text) {
    var box = form.querySelector(".fb-notice");
    if (!box) {
      box = d.createElement("div");
      box.className = "fb-error-summary fb-notice";
      box.setAttribute("role", "alert");
      box.tabIndex = -1;
      form.insertBefore(box, form.querySelector("[type=submit]"));
    }
    box.innerHTML = "";
    text.forEach(function (line) {
      var p = d.createElement("p");
      p.textContent = line;
      box.appendChild(p);
    });
    box.focus();
  }

  // What the service answered: its page's <main>, shown in place of (or inside) the form.
  function answered(form, response, html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.querySelector("main");
    if (!main) throw new Error("no main");
    absolute(main, response.url);
    var again = main.querySelector("form.fb-form");
    if (again) {
      // Something to correct: the same form, filled in, with the errors (and any notice).
      var before = again.previousElementSibling;
      form.parentNode.replaceChild(again, form);
      if (before && before.classList.contains("fb-error-summary")) again.parentNode.insertBefore(before, again);
      enhance(again);
      save(again);
      var top = (before && before.classList.contains("fb-error-summary")) ? before : again.querySelector(".fb-error-summary");
      if (top) { top.tabIndex = -1; top.focus(); }
      return;
    }
    if (!response.ok) {
      notice(form, Array.prototype.map.call(main.querySelectorAll("h1, p"), function (el) { return el.textContent; }));
      return;
    }
    // The confirmation or the thank-you: the service's heading becomes this page's h2,
    // and a link back to this very page is dropped.
    var done = d.createElement("div");
    done.className = "fb-done";
    done.lang = form.lang;
    done.dir = form.dir;
    while (main.firstChild) done.appendChild(main.firstChild);
    Array.prototype.forEach.call(done.querySelectorAll("a"), function (a) {
      if (a.pathname === location.pathname && a.host === location.host && a.parentNode.tagName === "P") a.parentNode.remove();
    });
    var h1 = done.querySelector("h1"), h2 = d.createElement("h2");
    if (h1) {
      while (h1.firstChild) h2.appendChild(h1.firstChild);
      h1.parentNode.replaceChild(h2, h1);
      h2.tabIndex = -1;
    }
    forget(form);
    form.parentNode.replaceChild(done, form);
    if (h1) h2.focus();
  }

  function submit(event) {
    var form = event.target, button = form.querySelector("[type=submit]");
    event.preventDefault();
    if (form.busy) return;
    save(form);
    // One random key per filled-in form: a resend (a retry after a lost answer) gets the same
    // reference; another person's same words never do (feedback_api/resubmits.py).
    var key = form.elements.submission_key;
    if (key && !key.value && window.crypto && crypto.getRandomValues) {
      var bytes = crypto.getRandomValues(new Uint8Array(16)), hex = "";
      for (var i = 0; i < 16; i++) hex += ("0" + bytes[i].toString(16)).slice(-2);
      key.value = hex;
    }
    form.busy = true;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    var abort = window.AbortController ? new AbortController() : null;
    var timer = abort && setTimeout(function () { abort.abort(); }, TIMEOUT);
    fetch(form.action, {
      method: "POST", body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "text/html" }, signal: abort ? abort.signal : undefined
    }).then(function (response) {
      return response.text().then(function (html) { answered(form, response, html); });
    }).catch(function () {
      notice(form, [OFFLINE[form.getAttribute("lang")] || OFFLINE.en]);
    }).then(function () {
      clearTimeout(timer);
      form.busy = false;
      button.disabled = false;
      form.removeAttribute("aria-busy");
    });
  }

  function enhance(form) {
    // Marked, so that tests (and styles) can tell an enhanced form from a plain one.
    form.setAttribute("data-js", "");
    restore(form);
    commentBox(form);
    districts(form);
    form.addEventListener("input", function () { save(form); });
    form.addEventListener("change", function () { save(form); });
    form.addEventListener("submit", submit);
  }

  Array.prototype.forEach.call(d.querySelectorAll("form.fb-form[method=post]"), enhance);
})();
