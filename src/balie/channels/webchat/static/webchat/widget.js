/* Balie web chat widget. Plain JavaScript, no framework, one script tag:
     <script src="https://balie.example/static/webchat/widget.js" data-channel="KEY"
             data-lang="nl" async></script>
   Optional: data-identifier + data-hmac (identity verification, computed by the site's
   server), data-open="true" (open at once). Texts in Dutch and English (data-lang, else the
   page's lang). Theme: CSS custom properties --balie-chat-* on the page, or the channel's
   "theme" setting. Messages are shown as text, never as HTML. */
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.dataset.channel || window.__balieChat) return;
  window.__balieChat = true;

  const TEXTS = {
    nl: {
      launcher: "Chat met ons", title: "Chat", close: "Chat sluiten",
      topicLegend: "Waar gaat uw vraag over?", start: "Start de chat",
      log: "Berichten", label: "Uw bericht", send: "Verstuur", file: "Bestand toevoegen",
      you: "U", them: "Medewerker", auto: "Automatisch bericht",
      connecting: "Verbinden…", offline: "Verbinding verbroken — opnieuw verbinden…",
      restored: "Verbinding hersteld", typing: "Een medewerker typt…",
      newMessage: "Nieuw bericht: ", sending: "wordt verstuurd", sent: "verstuurd",
      notSent: "niet verstuurd",
      closed: (o, a) => `We zijn nu gesloten. We zijn er weer ${o}. U krijgt uiterlijk ${a} antwoord.`,
      nobody: (a) => `Er is nu niemand beschikbaar. U krijgt uiterlijk ${a} antwoord; u kunt dit venster sluiten.`,
      leaveEmail: "Laat uw e-mailadres achter, dan kunnen we u ook per e-mail antwoorden.",
      emailLabel: "Uw e-mailadres", emailSave: "E-mailadres opslaan", emailSaved: "Uw e-mailadres is opgeslagen.",
      more: "Meer opties", transcript: "Stuur mij dit gesprek per e-mail",
      transcriptQueued: "Het gesprek wordt naar u gemaild.",
      tooLarge: (mb) => `Dit bestand is te groot (maximaal ${mb} MB).`,
      badType: "Dit soort bestand kunnen we niet ontvangen.",
      errors: {
        rate_limited: "U verstuurt te snel berichten. Wacht even en probeer het opnieuw.",
        origin_refused: "Deze chat is niet beschikbaar op deze website.",
        identity_invalid: "We konden uw inlog niet controleren. Laad de pagina opnieuw.",
        identity_not_configured: "We konden uw inlog niet controleren. Laad de pagina opnieuw.",
        unknown_channel: "Deze chat bestaat niet of is gesloten.",
        file_too_large: "Dit bestand is te groot.", file_type: "Dit soort bestand kunnen we niet ontvangen.",
        invalid_email: "Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.",
        message_too_long: "Uw bericht is te lang. Maak het korter of verstuur het in delen.",
        empty_message: "Typ eerst een bericht.", no_conversation: "Stel eerst een vraag.",
        other: "Er ging iets mis. Probeer het opnieuw.",
      },
    },
    en: {
      launcher: "Chat with us", title: "Chat", close: "Close chat",
      topicLegend: "What is your question about?", start: "Start the chat",
      log: "Messages", label: "Your message", send: "Send", file: "Add a file",
      you: "You", them: "Staff", auto: "Automatic message",
      connecting: "Connecting…", offline: "Connection lost — reconnecting…",
      restored: "Connection restored", typing: "Someone is typing…",
      newMessage: "New message: ", sending: "sending", sent: "sent",
      notSent: "not sent",
      closed: (o, a) => `We are closed now. We are back ${o}. You will have an answer by ${a}.`,
      nobody: (a) => `Nobody is available right now. You will have an answer by ${a}; you may close this window.`,
      leaveEmail: "Leave your e-mail address and we can also answer you by e-mail.",
      emailLabel: "Your e-mail address", emailSave: "Save e-mail address", emailSaved: "Your e-mail address was saved.",
      more: "More options", transcript: "E-mail me this conversation",
      transcriptQueued: "The conversation is being e-mailed to you.",
      tooLarge: (mb) => `This file is too large (at most ${mb} MB).`,
      badType: "We cannot receive this type of file.",
      errors: {
        rate_limited: "You are sending messages too quickly. Wait a moment and try again.",
        origin_refused: "This chat is not available on this website.",
        identity_invalid: "We could not check your login. Reload the page.",
        identity_not_configured: "We could not check your login. Reload the page.",
        unknown_channel: "This chat does not exist or is closed.",
        file_too_large: "This file is too large.", file_type: "We cannot receive this type of file.",
        invalid_email: "Enter a valid e-mail address, like name@example.com.",
        message_too_long: "Your message is too long. Shorten it or send it in parts.",
        empty_message: "Type a message first.", no_conversation: "Ask a question first.",
        other: "Something went wrong. Please try again.",
      },
    },
  };
  const pageLang = (document.documentElement.lang || "nl").slice(0, 2).toLowerCase();
  const lang = (script.dataset.lang || pageLang) === "en" ? "en" : "nl";
  const T = TEXTS[lang];
  const key = script.dataset.channel;
  const src = new URL(script.src, window.location.href);
  const wsUrl = (src.protocol === "https:" ? "wss://" : "ws://") + src.host +
    "/ws/webchat/" + encodeURIComponent(key) + "/";
  const storeKey = "balie-chat:" + key;
  const FATAL = new Set([4401, 4403, 4404]);

  /* ---- the DOM ------------------------------------------------------------------------ */
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("widget.css", src).href;
  document.head.appendChild(css);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (v !== null && v !== undefined) node.setAttribute(k, v);
    });
    (children || []).forEach((c) => node.appendChild(c));
    return node;
  }
  const id = (s) => "balie-chat-" + s;
  const root = el("div", { class: "balie-chat", lang: lang });
  const launcher = el("button", {
    type: "button", class: "balie-chat__launcher", "aria-haspopup": "dialog",
    "aria-expanded": "false", "aria-controls": id("dialog"), text: T.launcher,
  });
  const title = el("h2", { id: id("title"), class: "balie-chat__title", text: T.title });
  const closeBtn = el("button", { type: "button", class: "balie-chat__close", "aria-label": T.close, text: "×" });
  const status = el("p", { class: "balie-chat__status", role: "status" });
  const notice = el("div", { class: "balie-chat__notice", hidden: "" });
  const alertBox = el("p", { class: "balie-chat__alert", role: "alert" });
  const announcer = el("p", { class: "balie-chat__sr", "aria-live": "polite" });
  const topicsBox = el("fieldset", { class: "balie-chat__topics", hidden: "" }, [
    el("legend", { text: T.topicLegend }),
  ]);
  const topicsList = el("div", { class: "balie-chat__topic-list" });
  const startBtn = el("button", { type: "button", class: "balie-chat__button", text: T.start });
  topicsBox.append(topicsList, startBtn);
  const log = el("ol", { class: "balie-chat__log", "aria-label": T.log, tabindex: "0" });
  const typing = el("p", { class: "balie-chat__typing", "aria-live": "polite" });
  const input = el("textarea", { id: id("input"), rows: "2", class: "balie-chat__input", autocomplete: "off" });
  const fileInput = el("input", { id: id("file"), type: "file", class: "balie-chat__file" });
  const sendBtn = el("button", { type: "submit", class: "balie-chat__button", text: T.send });
  const form = el("form", { class: "balie-chat__form", hidden: "" }, [
    el("label", { for: id("input"), class: "balie-chat__label", text: T.label }),
    input,
    el("div", { class: "balie-chat__actions" }, [
      el("label", { for: id("file"), class: "balie-chat__file-label", text: T.file }), fileInput, sendBtn,
    ]),
  ]);
  const emailInput = el("input", { id: id("email"), type: "email", autocomplete: "email", class: "balie-chat__input" });
  const emailForm = el("form", { class: "balie-chat__email" }, [
    el("p", { text: T.leaveEmail }),
    el("label", { for: id("email"), class: "balie-chat__label", text: T.emailLabel }),
    emailInput, el("button", { type: "submit", class: "balie-chat__button", text: T.emailSave }),
  ]);
  const transcriptInput = el("input", { id: id("transcript"), type: "email", autocomplete: "email", class: "balie-chat__input" });
  const transcriptForm = el("form", { class: "balie-chat__email" }, [
    el("label", { for: id("transcript"), class: "balie-chat__label", text: T.emailLabel }),
    transcriptInput, el("button", { type: "submit", class: "balie-chat__button", text: T.transcript }),
  ]);
  const more = el("details", { class: "balie-chat__more", hidden: "" }, [
    el("summary", { text: T.more }), transcriptForm,
  ]);
  const body = el("div", { class: "balie-chat__body" }, [status, notice, topicsBox, log, typing, alertBox, form, more, announcer]);
  const dialog = el("div", {
    id: id("dialog"), class: "balie-chat__dialog", role: "dialog", "aria-modal": "false",
    "aria-labelledby": id("title"), hidden: "",
  }, [el("div", { class: "balie-chat__header" }, [title, closeBtn]), body]);
  root.append(dialog, launcher);

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }
  function showError(code, fallback) {
    alertBox.textContent = T.errors[code] || fallback || T.errors.other;
  }

  /* ---- state and socket --------------------------------------------------------------- */
  let socket = null;
  let attempt = 0;
  let ready = false;
  let everReady = false;
  let stopped = false;
  let lastId = 0;
  let limits = { max_upload_bytes: 5 * 1024 * 1024, upload_types: [] };
  let chatting = false;
  let topic = "";
  let heartbeat = null;
  let typingTimer = null;
  let lastTyping = 0;
  const shown = new Map();     // message id → <li>
  const pending = new Map();   // client_id → frame not yet acknowledged
  const unseen = new Set();    // organisation messages not yet confirmed as shown
  const store = {
    get() { try { return JSON.parse(window.localStorage.getItem(storeKey) || "{}"); } catch (_) { return {}; } },
    set(v) { try { window.localStorage.setItem(storeKey, JSON.stringify({ ...store.get(), ...v })); } catch (_) { /* private mode */ } },
  };
  const clientId = () => (window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID()
    : Date.now().toString(36) + Math.random().toString(36).slice(2));

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function connect() {
    if (stopped) return;
    status.textContent = everReady ? T.offline : T.connecting;
    socket = new WebSocket(wsUrl);
    socket.addEventListener("open", () => {
      attempt = 0;
      const saved = store.get();
      send({
        type: "start", token: saved.token || "", last_id: lastId, language: lang,
        identifier: script.dataset.identifier || undefined, hmac: script.dataset.hmac || undefined,
      });
    });
    socket.addEventListener("message", (e) => {
      let frame;
      try { frame = JSON.parse(e.data); } catch (_) { return; }
      onFrame(frame);
    });
    socket.addEventListener("close", (e) => {
      ready = false;
      root.dataset.live = "no";
      window.clearInterval(heartbeat);
      if (FATAL.has(e.code) || stopped) { status.textContent = ""; return; }
      status.textContent = T.offline;
      const delay = Math.min(15000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      window.setTimeout(connect, delay);
    });
  }
  function drop() {  // the network went away: stop waiting for a socket that cannot answer
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
  }
  window.addEventListener("offline", drop);
  window.addEventListener("online", () => { if (!ready && socket && socket.readyState > WebSocket.OPEN) { attempt = 0; connect(); } });

  function onFrame(frame) {
    switch (frame.type) {
      case "ready": return onReady(frame);
      case "message": return showMessage(frame, true);
      case "ack": return onAck(frame);
      case "typing": return showTyping();
      case "topic": topic = frame.code; return showChat();
      case "email_saved": alertBox.textContent = ""; emailInput.value = ""; return announce(T.emailSaved);
      case "transcript_queued": alertBox.textContent = ""; return announce(T.transcriptQueued);
      case "error": return onError(frame);
      default: return undefined;
    }
  }
  function onReady(frame) {
    ready = true;
    root.dataset.live = "yes";
    status.textContent = "";
    if (everReady) announce(T.restored);
    everReady = true;
    store.set({ token: frame.token });
    limits = frame.limits || limits;
    chatting = chatting || frame.chatting;
    topic = topic || frame.topic;
    Object.entries(frame.theme || {}).forEach(([k, v]) => root.style.setProperty(k, v));
    if (frame.organisation) title.textContent = `${T.title} — ${frame.organisation}`;
    renderTopics(frame.topics || []);
    renderAvailability(frame.availability || {});
    if (chatting || topic || !(frame.topics || []).length) showChat(); else showTopics();
    // the first time: focus waited on the close button while connecting; move it in now
    if (!dialog.hidden && document.activeElement === closeBtn && !frame.resumed) focusFirst();
    pending.forEach((f) => send(f));  // what was written while offline goes now, once
    window.clearInterval(heartbeat);
    heartbeat = window.setInterval(() => send({ type: "ping" }), 25000);
    confirmSeen();
  }
  function renderTopics(topics) {
    topicsList.textContent = "";
    topics.forEach((t, i) => {
      const radio = el("input", { type: "radio", name: id("topic"), id: id("topic-" + i), value: t.code });
      if (t.code === topic || (!topic && i === 0)) radio.checked = true;
      topicsList.appendChild(el("div", { class: "balie-chat__topic" }, [
        radio, el("label", { for: id("topic-" + i), text: t.label }),
      ]));
    });
  }
  function renderAvailability(a) {
    notice.textContent = "";
    let text = "";
    if (!a.open && a.opens_text) text = T.closed(a.opens_text, a.answer_by_text);
    else if (!a.agents_available && a.answer_by_text) text = T.nobody(a.answer_by_text);
    if (!text) { notice.hidden = true; return; }
    notice.appendChild(el("p", { text: text }));
    notice.appendChild(emailForm);
    notice.hidden = false;
  }
  function showTopics() { topicsBox.hidden = false; form.hidden = true; }
  function showChat() {
    topicsBox.hidden = true;
    form.hidden = false;
    more.hidden = false;
    if (!dialog.hidden && document.activeElement && topicsBox.contains(document.activeElement)) input.focus();
  }
  function showMessage(frame, live) {
    if (shown.has(frame.id)) return;
    if (frame.client_id && pending.has(frame.client_id)) pending.delete(frame.client_id);
    let li = frame.client_id ? log.querySelector(`[data-client-id="${CSS.escape(frame.client_id)}"]`) : null;
    lastId = Math.max(lastId, frame.id);
    chatting = true;
    if (!li) {
      li = messageItem(frame.from, frame.text, frame.attachments || [], frame.automatic);
      log.appendChild(li);
    }
    li.dataset.id = frame.id;
    li.removeAttribute("aria-busy");
    const state = li.querySelector(".balie-chat__state");
    if (state) state.textContent = "";
    shown.set(frame.id, li);
    log.scrollTop = log.scrollHeight;
    if (frame.from === "organisation") {
      typing.textContent = "";
      unseen.add(frame.id);
      if (live) announce(T.newMessage + (frame.text || (frame.attachments[0] || {}).name || ""));
      confirmSeen();
    }
  }
  function messageItem(from, text, attachments, automatic) {
    const who = from === "visitor" ? T.you : (automatic ? T.auto : T.them);
    const li = el("li", { class: "balie-chat__message balie-chat__message--" + from }, [
      el("span", { class: "balie-chat__who", text: who + ": " }),
      el("span", { class: "balie-chat__text", text: text || "" }),
    ]);
    attachments.forEach((a) => {
      const holder = el("span", { class: "balie-chat__attachment" });
      holder.appendChild(a.url
        ? el("a", { href: new URL(a.url, src).href, download: a.name, rel: "noopener", text: `📎 ${a.name}` })
        : el("span", { text: `📎 ${a.name}` }));
      li.appendChild(holder);
    });
    return li;
  }
  function onAck(frame) {
    pending.delete(frame.client_id);
    chatting = true;
    const li = log.querySelector(`[data-client-id="${CSS.escape(frame.client_id)}"]`);
    if (li) {
      li.dataset.id = frame.id;
      li.removeAttribute("aria-busy");
      li.querySelector(".balie-chat__state").textContent = "";
      shown.set(frame.id, li);
      lastId = Math.max(lastId, frame.id);
    }
  }
  function onError(frame) {
    showError(frame.code, frame.message);
    const li = frame.client_id && log.querySelector(`[data-client-id="${CSS.escape(frame.client_id)}"]`);
    if (!li || !pending.has(frame.client_id)) return;
    const state = li.querySelector(".balie-chat__state");
    if (frame.code === "rate_limited") {  // kept: sent again once the limit allows
      window.setTimeout(() => { const f = pending.get(frame.client_id); if (f) send(f); },
                        1000 * (frame.retry_after || 10));
      return;
    }
    pending.delete(frame.client_id);  // refused for good: the text stays, marked
    li.removeAttribute("aria-busy");
    li.classList.add("balie-chat__message--failed");
    if (state) state.textContent = " (" + T.notSent + ")";
  }
  function confirmSeen() {
    if (dialog.hidden || !ready || !unseen.size) return;
    if (send({ type: "seen", ids: [...unseen] })) unseen.clear();
  }
  function showTyping() {
    typing.textContent = T.typing;
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(() => { typing.textContent = ""; }, 5000);
  }
  function queue(frame, text, attachments) {
    const li = messageItem("visitor", text, attachments || [], false);
    li.dataset.clientId = frame.client_id;
    li.setAttribute("aria-busy", "true");
    li.appendChild(el("span", { class: "balie-chat__state", text: " (" + T.sending + ")" }));
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    pending.set(frame.client_id, frame);
    send(frame);
  }

  /* ---- what the visitor does ---------------------------------------------------------- */
  function open() {
    dialog.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.dataset.open = "true";
    if (!socket) connect();
    focusFirst();
    confirmSeen();
  }
  function focusFirst() {  // the topic choice, else the message box, else (not ready) close
    const first = !topicsBox.hidden ? topicsList.querySelector("input:checked") : (!form.hidden ? input : null);
    (first || closeBtn).focus();
  }
  function close() {
    dialog.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.dataset.open = "false";
    launcher.focus();
  }
  launcher.addEventListener("click", () => (dialog.hidden ? open() : close()));
  closeBtn.addEventListener("click", close);
  dialog.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); close(); }
  });
  startBtn.addEventListener("click", () => {
    const chosen = topicsList.querySelector("input:checked");
    if (chosen) send({ type: "topic", code: chosen.value });
    else showChat();
    input.focus();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) { showError("empty_message"); input.focus(); return; }
    alertBox.textContent = "";
    queue({ type: "message", client_id: clientId(), text: text }, text);
    input.value = "";
    input.focus();
  });
  input.addEventListener("keydown", (e) => {  // Enter sends; Shift+Enter is a new line
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (ready && chatting && now - lastTyping > 2000) { lastTyping = now; send({ type: "typing" }); }
  });
  fileInput.addEventListener("change", () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    if (file.size > limits.max_upload_bytes) {
      alertBox.textContent = T.tooLarge(Math.floor(limits.max_upload_bytes / 1048576)); return;
    }
    if (limits.upload_types.length && !limits.upload_types.includes((file.type || "").toLowerCase())) {
      alertBox.textContent = T.badType; return;
    }
    const reader = new FileReader();
    reader.addEventListener("load", () => {
      const data = String(reader.result).split(",", 2)[1] || "";
      alertBox.textContent = "";
      queue({ type: "file", client_id: clientId(), name: file.name, content_type: file.type, data: data },
            "", [{ name: file.name }]);
    });
    reader.readAsDataURL(file);
  });
  emailForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!emailInput.value.trim()) { showError("invalid_email"); emailInput.focus(); return; }
    send({ type: "email", address: emailInput.value.trim() });
  });
  transcriptForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!transcriptInput.value.trim()) { showError("invalid_email"); transcriptInput.focus(); return; }
    send({ type: "transcript", address: transcriptInput.value.trim() });
  });

  function mount() {
    document.body.appendChild(root);
    if (store.get().token) connect();  // a returning visitor: resume at once
    if (script.dataset.open === "true") open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
