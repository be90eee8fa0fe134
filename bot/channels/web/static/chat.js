// The chat page: posts to api/chat (the same API any front end uses) and lays out each reply.
// No framework, no build step, nothing from a CDN: it works offline on a district office's LAN.
(function () {
  "use strict";

  // Every limit of the page, with its reason.
  var LIMITS = {
    // Replies re-shown after a reload; older ones are of no use and localStorage is small (5 MB).
    transcriptKept: 60,
    // Font sizes in px: 20 is the MIIT minimum for body text; 32 still fits a phone's width.
    fontSizes: [20, 24, 28, 32],
    // The server's resident-id format (bot/channels/web/limits.py RESIDENT_ID_PATTERN).
    residentPattern: /^[A-Za-z0-9_-]{16,64}$/,
  };
  var KEYS = { resident: "zzbot.resident", transcript: "zzbot.transcript", font: "zzbot.font" };
  var S = JSON.parse(document.getElementById("strings").textContent);

  var logEl = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("question");
  var pending = false;

  // localStorage may be blocked (private mode, some embedded frames): the chat still works.
  var store = {
    get: function (key) {
      try { return window.localStorage.getItem(key); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, value); } catch (e) { /* not kept, still usable */ }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
    },
  };

  // An anonymous random id (128 bits, base64url): never a name, only what ties messages together.
  function newResident() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var text = btoa(String.fromCharCode.apply(null, bytes));
    return text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function resident() {
    var id = store.get(KEYS.resident);
    if (!id || !LIMITS.residentPattern.test(id)) {
      id = newResident();
      store.set(KEYS.resident, id);
    }
    return id;
  }

  var transcript = [];
  try {
    transcript = JSON.parse(store.get(KEYS.transcript) || "[]");
    if (!Array.isArray(transcript)) transcript = [];
  } catch (e) {
    transcript = [];
  }

  function remember(entry) {
    transcript.push(entry);
    transcript = transcript.slice(-LIMITS.transcriptKept);
    store.set(KEYS.transcript, JSON.stringify(transcript));
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function show(node) {
    logEl.appendChild(node);
    node.scrollIntoView({ block: "nearest" });
  }

  function showMine(text) {
    var msg = el("article", "msg me");
    msg.appendChild(el("p", "who", S.you));
    msg.appendChild(el("p", "", text));
    show(msg);
  }

  function eventLine(item) {
    var organiser = item.organiser ? ";主办:" + item.organiser : "";
    return item.when + "," + item.place + ":" + item.content + organiser;
  }

  function showReply(reply) {
    var msg = el("article", "msg bot");
    msg.appendChild(el("p", "who", S.bot));
    if (reply.title) msg.appendChild(el("p", "title", reply.title));
    var list = null;
    (reply.items || []).forEach(function (item) {
      if (item.type === "event" || item.type === "offer") {
        if (!list) list = msg.appendChild(el("ol", "items"));
        var li = el("li", "", item.type === "event" ? eventLine(item) : item.label);
        li.value = item.number;
        list.appendChild(li);
      } else {
        list = null;
        msg.appendChild(el("p", "", item.text));
      }
    });
    if (reply.footer) msg.appendChild(el("p", "footer", reply.footer));
    if (reply.source) msg.appendChild(el("p", "source", reply.source));
    if (reply.actions && reply.actions.length) {
      var group = el("div", "actions");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", S.actions);
      reply.actions.forEach(function (action) {
        var button = el("button", action.type, action.label);
        button.type = "button";
        button.addEventListener("click", function () {
          send({ action: { type: action.type, value: action.value }, ref: reply.ref }, action.label);
        });
        group.appendChild(button);
      });
      msg.appendChild(group);
    }
    show(msg);
  }

  function showNotice(text) {
    var msg = el("article", "msg bot notice");
    msg.appendChild(el("p", "who", S.bot));
    msg.appendChild(el("p", "", text));
    show(msg);
  }

  function send(body, shown) {
    if (pending) return;
    pending = true;
    showMine(shown);
    remember({ me: shown });
    var waiting = el("p", "waiting", S.waiting);
    logEl.setAttribute("aria-busy", "true");
    show(waiting);
    body.resident = resident();
    fetch("api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (result.ok) {
          remember({ reply: result.data });
          showReply(result.data);
        } else {
          showNotice(result.data.message || S.offline);
        }
      })
      .catch(function () { showNotice(S.offline); })
      .then(function () {
        waiting.remove();
        logEl.removeAttribute("aria-busy");
        pending = false;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      showNotice(S.empty);
      return;
    }
    if (pending) return;
    input.value = "";
    send({ text: text }, text);
  });

  document.querySelectorAll(".chip").forEach(function (chip) {
    chip.addEventListener("click", function () {
      var text = chip.getAttribute("data-question");
      send({ text: text }, text);
    });
  });

  function setFont(index) {
    var sizes = LIMITS.fontSizes;
    index = Math.max(0, Math.min(sizes.length - 1, index));
    document.documentElement.style.setProperty("--font", sizes[index] + "px");
    store.set(KEYS.font, String(index));
    return index;
  }
  var font = setFont(parseInt(store.get(KEYS.font) || "0", 10) || 0);
  document.getElementById("bigger").addEventListener("click", function () { font = setFont(font + 1); });
  document.getElementById("smaller").addEventListener("click", function () { font = setFont(font - 1); });

  document.getElementById("restart").addEventListener("click", function () {
    store.remove(KEYS.transcript);
    store.remove(KEYS.resident);
    window.location.reload();
  });

  // A reload shows the conversation again; its buttons still act on the lists they belonged to.
  transcript.forEach(function (entry) {
    if (entry && typeof entry.me === "string") showMine(entry.me);
    else if (entry && entry.reply) showReply(entry.reply);
  });
})();
