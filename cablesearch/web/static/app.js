// The query box: completion from /api/complete (the REPL's completer) and the error caret, live.
// Everything is written with textContent: nothing the server or the user typed becomes markup.
"use strict";
(function () {
  const input = document.getElementById("q");
  if (!input) return;
  const list = document.getElementById("suggest");
  const errorBox = document.getElementById("qerror");
  const errorText = document.getElementById("qerror-text");
  const errorCaret = document.getElementById("qerror-caret");
  const errorMessage = document.getElementById("qerror-message");
  const sort = document.getElementById("sort");
  let items = [];
  let active = -1;
  let requestNumber = 0;
  let cursorOfItems = 0;
  let timer = null;

  function hideList() {
    list.hidden = true;
    list.replaceChildren();
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
  }

  function showError(error, query) {
    if (!error || !query.trim()) {
      errorBox.hidden = true;
      input.classList.remove("invalid");
      return;
    }
    errorText.textContent = query;
    errorCaret.textContent = " ".repeat(Math.max(0, (error.column || 1) - 1)) + "^";
    errorMessage.textContent = error.message;
    errorBox.hidden = false;
    input.classList.add("invalid");
  }

  function render() {
    list.replaceChildren();
    items.forEach(function (item, i) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      if (i === active) li.className = "active";
      const shown = document.createElement("span");
      shown.className = "display";
      shown.textContent = item.display;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = item.meta;
      li.append(shown, meta);
      li.addEventListener("mousedown", function (event) {
        event.preventDefault();  // keep the focus in the box
        apply(item);
      });
      list.append(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }

  function apply(item) {
    const value = input.value;
    input.value = value.slice(0, item.start) + item.text + value.slice(cursorOfItems);
    const at = item.start + item.text.length;
    input.focus();
    input.setSelectionRange(at, at);
    hideList();
    schedule(0, true);
  }

  async function check(showList) {
    const mine = ++requestNumber;
    const query = input.value;
    const cursor = input.selectionStart === null ? query.length : input.selectionStart;
    let response, doc;
    try {
      response = await fetch("/api/complete?" + new URLSearchParams({ q: query, cursor: String(cursor) }),
                             { headers: { Accept: "application/json" } });
      doc = await response.json();
    } catch (e) {
      return;  // the server is away: the form still submits
    }
    if (mine !== requestNumber) return;  // a later keystroke has asked again
    if (!response.ok) {
      hideList();
      showError(doc.error, query);
      return;
    }
    showError(doc.error, query);
    if (!showList) return;
    cursorOfItems = doc.cursor;
    items = doc.items || [];
    active = -1;
    render();
  }

  function schedule(ms, showList) {
    clearTimeout(timer);
    timer = setTimeout(function () { check(showList); }, ms);
  }

  input.addEventListener("input", function () { schedule(120, true); });
  input.addEventListener("blur", hideList);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hideList(); return; }
    if (!items.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : items.length - 1;
      active = (active + step) % items.length;
      render();
      event.preventDefault();
    } else if (event.key === "Tab" || (event.key === "Enter" && active >= 0)) {
      apply(items[Math.max(active, 0)]);
      event.preventDefault();
    }
  });
  if (sort) {
    sort.addEventListener("change", function () {
      if (input.value.trim()) input.form.submit();
    });
  }
  if (input.value.trim()) schedule(0, false);
})();
