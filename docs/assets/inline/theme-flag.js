/* Inlined in every page's head (overrides/main.html): Material's CSS hides search under
   html.no-js; with JavaScript on, search can work. */
document.documentElement.classList.replace("no-js", "js");
