/* Balie's workspace module: the live socket (reconnect with backoff, resync), drafts that
   survive a reload, keyboard shortcuts and polite announcements. No framework; htmx does
   the swapping. Pushes carry event names and ids only, never message text: on an event the
   page asks the server again for the part that changed. */
(function () {
  "use strict";
  const body = document.body;
  const status = document.getElementById("connection-status");
  const announcer = document.getElementById("announcer");
  const t = (nl, en) => (document.documentElement.lang === "en" ? en : nl);

  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  /* ---- live socket ------------------------------------------------------------------- */
  let socket = null;
  let attempt = 0;
  let everConnected = false;
  function refresh(selector) {
    const el = document.querySelector(selector);
    if (el && window.htmx) window.htmx.trigger(el, "balie:refresh");
  }
  /* The wall's tables: a burst of events asks once, half a second after its first event, so
     the last state of the burst is what is fetched (htmx's throttle would drop the trailing
     event, leaving the table a step behind until its 15-second poll). */
  let wallDue = null;
  function wallSoon() {
    if (wallDue) return;
    wallDue = window.setTimeout(() => {
      wallDue = null;
      body.dispatchEvent(new CustomEvent("balie:wall"));
    }, 500);
  }
  function onEvent(name, data) {
    document.dispatchEvent(new CustomEvent("balie:event", { detail: { name, data } }));
    const page = document.querySelector("[data-conversation-id]");
    const open = body.dataset.conversation || (page && page.dataset.conversationId);
    if (name === "webchat_typing") { visitorTyping(page, open, data); return; }  // no refresh
    if (name === "agent_mentioned") {  // pushed to this agent only: a colleague named them
      announce(t("Je bent genoemd in een notitie", "You were mentioned in a note"));
      body.dispatchEvent(new CustomEvent("balie:conversation"));
    }
    if (name === "call_connected" && data.conversation_id && String(data.conversation_id) !== open) {
      window.location.assign("/gesprekken/" + encodeURIComponent(data.conversation_id) + "/");
    }
    if (name === "contact_offered" || name.startsWith("offer")) {
      body.dispatchEvent(new CustomEvent("balie:offers"));  // announced once the banner shows it
    }
    if (data && open && String(data.conversation_id) === open) {
      body.dispatchEvent(new CustomEvent("balie:conversation"));
    }
    if (name === "message_received" || name.startsWith("conversation") || name.startsWith("sla_")) {
      body.dispatchEvent(new CustomEvent("balie:list"));
      wallSoon();
      if (name === "message_received" && !(open && String(data.conversation_id) === open)) {
        announce(t("Nieuw bericht ontvangen", "New message received"));
      }
    }
    if (name.startsWith("message_") || name.startsWith("delivery")) {
      body.dispatchEvent(new CustomEvent("balie:conversation"));
    }
    if (name.startsWith("agent_") || name.startsWith("queue") || name.startsWith("presence")) {
      wallSoon();
    }
  }
  function connect() {
    if (!body.dataset.wsUrl || body.dataset.page === "login") return;
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + body.dataset.wsUrl);
    socket.addEventListener("open", () => {
      const resync = everConnected;
      everConnected = true;
      attempt = 0;
      if (status) status.textContent = "";
      body.dataset.live = "yes";
      if (resync) {  // what was missed while offline: ask for every live part again
        ["balie:list", "balie:conversation", "balie:offers", "balie:wall"].forEach(
          (e) => body.dispatchEvent(new CustomEvent(e)));
        announce(t("Verbinding hersteld", "Connection restored"));
      }
    });
    socket.addEventListener("message", (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch (_) { return; }
      if (msg.type === "event") onEvent(msg.name, msg.data || {});
    });
    socket.addEventListener("close", (e) => {
      body.dataset.live = "no";
      if (e.code === 4403) return;  // not allowed: no point in retrying
      const delay = Math.min(30000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      if (status) status.textContent = t("Verbinding verbroken — opnieuw verbinden…",
                                         "Connection lost — reconnecting…");
      window.setTimeout(connect, delay);
    });
  }

  /* ---- web chat typing, both ways (balie.channels.webchat) ---------------------------- */
  let typingClear = null;
  function visitorTyping(page, open, data) {
    if (!page || !open || String(data.conversation_id) !== open) return;
    let line = document.getElementById("visitor-typing");
    if (!line) {
      line = document.createElement("p");
      line.id = "visitor-typing";
      line.className = "balie-typing";
      line.setAttribute("role", "status");
      const composer = document.getElementById("reply-body");
      const form = composer && composer.closest("form");
      (form ? form.parentNode : page).insertBefore(line, form || null);
    }
    line.textContent = t("De bezoeker typt…", "The visitor is typing…");
    window.clearTimeout(typingClear);
    typingClear = window.setTimeout(() => { line.textContent = ""; }, 5000);
  }
  let typingSent = 0;
  const noTyping = new Set();  // conversations that are not web chats (the server said 404)
  document.addEventListener("input", (e) => {
    if (!e.target || e.target.id !== "reply-body") return;
    const page = document.querySelector("[data-conversation-id]");
    const id = page && page.dataset.conversationId;
    if (!id || noTyping.has(id) || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    let csrf = "";
    try { csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (_) { /* none */ }
    window.fetch("/webchat/typing/" + encodeURIComponent(id) + "/", {
      method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
    }).then((r) => { if (r.status === 404) noTyping.add(id); }).catch(() => {});
  });

  /* ---- drafts ------------------------------------------------------------------------ */
  function bindDrafts(root) {
    root.querySelectorAll("textarea[data-draft-key]").forEach((area) => {
      if (area.dataset.draftBound) return;
      area.dataset.draftBound = "1";
      const key = "balie:draft:" + area.dataset.draftKey;
      const saved = window.localStorage.getItem(key);
      if (saved && !area.value) area.value = saved;
      const counter = area.dataset.counter && document.getElementById(area.dataset.counter);
      const limit = Number(area.getAttribute("data-limit") || 0);
      const count = () => {
        if (counter) counter.textContent = limit ? `${area.value.length} / ${limit}` : String(area.value.length);
      };
      count();
      area.addEventListener("input", () => {
        if (area.value) window.localStorage.setItem(key, area.value);
        else window.localStorage.removeItem(key);
        count();
      });
      area.addEventListener("keydown", (e) => {  // Ctrl+Enter sends; Enter is a newline
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && area.form) {
          e.preventDefault();
          area.form.requestSubmit();
        }
      });
      if (area.form) {
        area.form.addEventListener("balie:sent", () => {
          window.localStorage.removeItem(key);
          area.value = "";
          count();
        });
      }
    });
  }
  document.addEventListener("htmx:afterRequest", (e) => {
    const form = e.detail.elt;
    if (form && form.tagName === "FORM" && e.detail.successful) {
      form.dispatchEvent(new CustomEvent("balie:sent"));
      const dialog = form.closest("dialog");
      if (dialog && dialog.open) { form.reset(); dialog.close(); }
    }
  });

  /* ---- keyboard shortcuts ------------------------------------------------------------ */
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  function moveInList(step) {
    const rows = Array.from(document.querySelectorAll("#conversation-rows .balie-row a"));
    if (!rows.length) return;
    let i = rows.findIndex((a) => a.getAttribute("aria-current") === "page");
    i = i < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, i + step));
    rows[i].click();
  }
  const actions = {
    j: () => moveInList(1),
    k: () => moveInList(-1),
    r: () => document.querySelector("[data-shortcut-reply]")?.click(),
    n: () => document.querySelector("[data-shortcut-note]")?.click(),
    t: () => document.querySelector("[data-shortcut-transfer]")?.click(),
    e: () => document.querySelector("[data-shortcut-resolve]")?.click(),
    "/": () => document.querySelector("[data-shortcut-search]")?.focus(),
    "?": () => document.getElementById("shortcuts")?.showModal?.(),
  };
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    const act = actions[e.key];
    if (act) { e.preventDefault(); act(); }
  });

  /* ---- the conversation page: composer tabs, dialogs, file limits, timeline scroll --- */
  document.addEventListener("click", (e) => {
    const tab = e.target.closest && e.target.closest("[data-tab]");
    const group = tab && tab.closest("[data-tabs]");
    if (group) {
      group.querySelectorAll("[data-tab]").forEach((b) => b.setAttribute("aria-selected", String(b === tab)));
      group.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== tab.dataset.tab; });
      const field = group.querySelector(`[data-panel="${tab.dataset.tab}"] textarea, [data-panel="${tab.dataset.tab}"] input[type=radio]`);
      if (field) field.focus();
    }
    const opener = e.target.closest && e.target.closest("[data-dialog]");
    if (opener) document.getElementById(opener.dataset.dialog)?.showModal?.();
  });
  document.addEventListener("change", (e) => {  // a file over the channel's limit: say so at once
    const input = e.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    const file = input.files && input.files[0];
    input.setCustomValidity(file && file.size > Number(input.dataset.maxBytes) ? input.dataset.tooLarge || "" : "");
    input.reportValidity();
  });
  function atBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 40; }
  document.addEventListener("htmx:oobBeforeSwap", (e) => {
    const el = e.detail.target;
    if (el && el.id === "timeline") el.dataset.atBottom = String(atBottom(el));
  });
  document.addEventListener("htmx:oobAfterSwap", (e) => {
    const el = e.detail.target;
    if (el && el.id === "timeline" && el.dataset.atBottom !== "false") el.scrollTop = el.scrollHeight;
  });
  /* the form of address changed live (a new message, a colleague's choice): say so politely */
  let toneCue = document.getElementById("replies-tone")?.textContent.trim() || "";
  document.addEventListener("htmx:oobAfterSwap", (e) => {
    if (!e.detail.target || e.detail.target.id !== "conversation-header") return;
    const now = document.getElementById("replies-tone")?.textContent.trim() || "";
    if (toneCue && now && now !== toneCue) announce(now);
    toneCue = now;
  });

  /* ---- offers: each new one read out once (assertive), the banner renewed at lapse ---- */
  const heard = new Set(JSON.parse(window.sessionStorage.getItem("balie:offers-heard") || "[]"));
  function announceOffers() {
    const live = document.getElementById("offer-announcer");
    document.querySelectorAll("[data-offer-id]").forEach((offer) => {
      if (!live || heard.has(offer.dataset.offerId)) return;
      heard.add(offer.dataset.offerId);
      live.textContent = "";
      window.setTimeout(() => { live.textContent = offer.dataset.announce || ""; }, 50);
    });
    window.sessionStorage.setItem("balie:offers-heard", JSON.stringify([...heard].slice(-50)));
  }
  document.addEventListener("htmx:afterSettle", (e) => {
    if (e.target && e.target.id === "offers") announceOffers();
  });

  /* ---- countdowns (offers, the reply window) ----------------------------------------- */
  function tick() {
    document.querySelectorAll("[data-until]").forEach((el) => {
      const left = Math.max(0, Math.round((Date.parse(el.dataset.until) - Date.now()) / 1000));
      el.textContent = left >= 60 ? `${Math.floor(left / 60)} min ${left % 60} s` : `${left} s`;
      if (left === 0 && el.closest("[data-offer-id]") && !el.dataset.lapsed) {
        el.dataset.lapsed = "1";  // lapsed: routing moves it on; show what is left
        window.setTimeout(() => body.dispatchEvent(new CustomEvent("balie:offers")), 1500);
      }
    });
  }

  function start() {
    bindDrafts(document);
    const timeline = document.getElementById("timeline");
    if (timeline && !window.location.hash) timeline.scrollTop = timeline.scrollHeight;
    document.addEventListener("htmx:afterSettle", (e) => bindDrafts(e.target));
    connect();
    window.setInterval(tick, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
