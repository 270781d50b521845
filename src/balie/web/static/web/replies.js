// Canned replies in the composer: "/" in the reply (or Alt+/) opens a combobox with a
// listbox (WAI-ARIA combobox pattern, keyboard only); Enter inserts the chosen reply at the
// caret. An empty reply gets the greeting and signature, editable before sending.
(function () {
  "use strict";

  function init() {
    var root = document.querySelector("[data-replies]");
    var body = document.getElementById("reply-body");
    if (!root) { return; }
    if (!body) { root.hidden = true; return; }  // no free text now (WhatsApp's window closed)
    var input = document.getElementById("replies-search");
    var list = document.getElementById("replies-list");
    var status = document.getElementById("replies-status");
    var options = Array.prototype.slice.call(list.querySelectorAll("[role=option][data-text]"));
    var active = -1;
    var caret = null;

    function changed() { body.dispatchEvent(new Event("input", { bubbles: true })); }

    var opening = root.getAttribute("data-opening") || "";
    var signature = root.getAttribute("data-signature") || "";
    function greet() {
      if (body.value.trim() || !(opening || signature)) { return; }
      var head = opening ? opening + "\n\n" : "";
      body.value = head + (signature ? "\n\n" + signature : "");
      body.setSelectionRange(head.length, head.length);
      changed();
    }
    greet();
    // after a send the box is emptied (balie.js): the next reply starts with the greeting again
    if (body.form) { body.form.addEventListener("balie:sent", function () { setTimeout(greet, 0); }); }

    function visible() { return options.filter(function (o) { return !o.hidden; }); }

    function mark(index) {
      var shown = visible();
      options.forEach(function (o) { o.setAttribute("aria-selected", "false"); o.classList.remove("balie-replies__option--active"); });
      active = shown.length ? Math.max(0, Math.min(index, shown.length - 1)) : -1;
      if (active >= 0) {
        var option = shown[active];
        option.setAttribute("aria-selected", "true");
        option.classList.add("balie-replies__option--active");
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function filter() {
      var query = input.value.trim().replace(/^\//, "").toLowerCase();
      options.forEach(function (o) { o.hidden = query !== "" && o.textContent.toLowerCase().indexOf(query) < 0; });
      mark(0);
      status.textContent = visible().length + " " + (document.documentElement.lang === "nl" ? "antwoorden" : "replies");
    }

    function open() {
      caret = [body.selectionStart, body.selectionEnd];
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      input.value = "";
      filter();
      input.focus();
    }

    function close(back) {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      if (back) { body.focus(); }
    }

    function insert(option) {
      var text = option.getAttribute("data-text");
      var at = caret || [body.value.length, body.value.length];
      body.value = body.value.slice(0, at[0]) + text + body.value.slice(at[1]);
      var end = at[0] + text.length;
      close(true);
      body.setSelectionRange(end, end);
      changed();
      status.textContent = option.textContent.trim();
    }

    body.addEventListener("keydown", function (event) {
      var before = body.value.slice(0, body.selectionStart);
      var slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && (before === "" || /\s$/.test(before));
      if (slash || (event.key === "/" && event.altKey)) {
        event.preventDefault();
        open();
      }
    });
    input.addEventListener("focus", function () { if (list.hidden) { caret = caret || [body.value.length, body.value.length]; list.hidden = false; input.setAttribute("aria-expanded", "true"); filter(); } });
    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); mark(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); mark(active - 1); }
      else if (event.key === "Home") { event.preventDefault(); mark(0); }
      else if (event.key === "End") { event.preventDefault(); mark(visible().length - 1); }
      else if (event.key === "Enter") { event.preventDefault(); var shown = visible(); if (active >= 0 && shown[active]) { insert(shown[active]); } }
      else if (event.key === "Escape") { event.preventDefault(); close(true); }
    });
    input.addEventListener("blur", function () { setTimeout(function () { if (document.activeElement !== input) { close(false); } }, 150); });
    options.forEach(function (o) { o.addEventListener("click", function () { insert(o); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
