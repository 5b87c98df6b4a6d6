/* 办电助手坐席控制台: copy button, taking handoffs, presence heartbeat, queue refresh, new-handoff alerts,
   live chat polling.
   Served from /static/console/ (the CSP allows no inline script). Every page works without it. */
(function () {
  "use strict";

  var HEARTBEAT_MS = 30000;
  var ALERT_MS = 10000;  /* the heartbeat while new-handoff alerts are on */
  var QUEUE_MS = 5000;
  var CHAT_MS = 2000;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.status === 401) {
        window.location.href = "/agent/login?next=" + encodeURIComponent(window.location.pathname);
        throw new Error("login");
      }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  /* 复制给客户 */
  function setupCopy() {
    var button = document.getElementById("copy-customer");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById("copy-status");
    function done(text) { if (status) { status.textContent = text; } }
    function fallback() {
      source.focus();
      source.select();
      try {
        done(document.execCommand("copy") ? "已复制" : "请按 Ctrl+C 复制已选中的文字");
      } catch (e) {
        done("请按 Ctrl+C 复制已选中的文字");
      }
    }
    button.addEventListener("click", function () {
      var text = source.value;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done("已复制"); }, fallback);
      } else {
        fallback();
      }
    });
  }

  /* 接入: the link submits its POST form (without JavaScript it opens the handoff page, which has a button) */
  function setupTake() {
    document.querySelectorAll("a.take[data-form]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var form = document.getElementById(link.getAttribute("data-form"));
        if (!form) { return; }
        event.preventDefault();
        form.submit();
      });
    });
  }

  /* Cancelling an order asks first. */
  function setupAdvance() {
    var select = document.getElementById("advance-select");
    if (!select || !select.form) { return; }
    select.form.addEventListener("submit", function (event) {
      if (select.value === "cancelled" && !window.confirm("确定要取消这张工单吗？取消后不能再推进。")) {
        event.preventDefault();
      }
    });
  }

  /* New-handoff alert: a browser notification (permission asked on the agent's click of 开启提醒) and a
     short beep made with WebAudio (no audio file). Browsers let a page make sound only after a click on
     it, so the sound is unlocked by the click on the button and, after a reload, by any click on the page. */
  var alerts = (function () {
    var KEY = "bandian.console.alerts";
    var NEWEST = "bandian.console.newestHandoff";
    var audio = null;
    var button = document.getElementById("notify-toggle");

    function storage(kind) { try { return window[kind]; } catch (e) { return null; } }
    function enabled() { var s = storage("localStorage"); return !!s && s.getItem(KEY) === "on"; }
    function setEnabled(on) {
      var s = storage("localStorage");
      if (s) { if (on) { s.setItem(KEY, "on"); } else { s.removeItem(KEY); } }
      show();
    }
    function show() {
      if (!button) { return; }
      var on = enabled();
      button.textContent = on ? "🔔 提醒已开启" : "🔕 开启提醒";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.title = on ? "点击关闭新请求提醒" : "新的转人工请求到达时弹出通知并提示音";
    }
    function unlockAudio() {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) { return null; }
      if (!audio) { audio = new Context(); }
      if (audio.state === "suspended" && audio.resume) { audio.resume().catch(function () {}); }
      return audio;
    }
    function beep() {
      var context = audio;
      if (!context || context.state !== "running") { return false; }
      [0, 0.22].forEach(function (offset) {
        var start = context.currentTime + offset;
        var tone = context.createOscillator();
        var gain = context.createGain();
        tone.type = "sine";
        tone.frequency.value = 880;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
        tone.connect(gain);
        gain.connect(context.destination);
        tone.start(start);
        tone.stop(start + 0.2);
      });
      return true;
    }
    function notify(waiting) {
      if (!("Notification" in window) || window.Notification.permission !== "granted") { return false; }
      var note = new window.Notification("新的转人工请求", {
        body: "有客户在等待人工客服（等待中 " + waiting + " 个），请到转人工队列接入。", tag: "bandian-handoff"
      });
      note.onclick = function () { window.focus(); window.location.href = "/agent/handoffs"; note.close(); };
      return true;
    }
    function ring(waiting) {
      if (!enabled()) { return; }
      var shown = notify(waiting);
      var sounded = beep();
      document.body.setAttribute("data-alerted", String((parseInt(document.body.getAttribute("data-alerted"), 10) || 0) + 1));
      document.body.setAttribute("data-alert-kinds", (shown ? "notification" : "") + (sounded ? " sound" : ""));
    }
    /* Called with each heartbeat: rings when the newest waiting handoff is one this browser has not seen. */
    function seen(newest, waiting) {
      var s = storage("sessionStorage");
      var before = s ? parseInt(s.getItem(NEWEST), 10) : NaN;
      if (s) { s.setItem(NEWEST, String(Math.max(newest, isNaN(before) ? 0 : before))); }
      if (!isNaN(before) && newest > before) { ring(waiting); return true; }
      return false;
    }
    function setup() {
      if (!button) { return; }
      if (!("Notification" in window) && !(window.AudioContext || window.webkitAudioContext)) { return; }
      button.hidden = false;
      show();
      button.addEventListener("click", function () {
        if (enabled()) { setEnabled(false); return; }
        unlockAudio();
        var asked = ("Notification" in window && window.Notification.permission === "default")
          ? window.Notification.requestPermission() : Promise.resolve(null);
        Promise.resolve(asked).catch(function () {}).then(function () {
          setEnabled(true);
          beep();  /* the agent hears what the alert sounds like */
        });
      });
      var unlockOnce = function () {
        if (enabled()) { unlockAudio(); }
        document.removeEventListener("pointerdown", unlockOnce, true);
        document.removeEventListener("keydown", unlockOnce, true);
      };
      document.addEventListener("pointerdown", unlockOnce, true);
      document.addEventListener("keydown", unlockOnce, true);
    }
    return { setup: setup, seen: seen, enabled: enabled };
  })();

  /* Heartbeat: keeps this agent "online" for customers, shows the number of waiting requests and rings for
     a new one. The queue page reloads when the queue changes (after the alert has rung). */
  function setupHeartbeat() {
    var badge = document.getElementById("waiting-badge");
    if (!badge) { return; }
    var queue = document.getElementById("handoff-queue");
    var signature = queue ? queue.getAttribute("data-signature") : null;
    function beat() {
      getJSON("/agent/api/handoffs").then(function (data) {
        badge.textContent = data.waiting;
        badge.hidden = !data.waiting;
        var rang = alerts.seen(data.newest || 0, data.waiting);
        if (signature !== null && data.signature !== signature) {
          window.setTimeout(function () { window.location.reload(); }, rang ? 800 : 0);
        }
      }).catch(function () { /* the next beat retries */ });
    }
    var last = Date.now();
    beat();
    window.setInterval(function () {  /* every 5 s on the queue page, 10 s while alerts are on, else 30 s */
      var every = queue ? QUEUE_MS : (alerts.enabled() ? ALERT_MS : HEARTBEAT_MS);
      if (Date.now() - last >= every - 100) { last = Date.now(); beat(); }
    }, QUEUE_MS);
  }

  /* Live chat: poll for new messages every 2 s, send replies without reloading. */
  function setupChat() {
    var transcript = document.getElementById("transcript");
    if (!transcript) { return; }
    var after = parseInt(transcript.getAttribute("data-after"), 10) || 0;
    var pollUrl = transcript.getAttribute("data-poll");
    var seen = {};
    var closed = false;
    transcript.querySelectorAll("li[data-id]").forEach(function (li) { seen[li.getAttribute("data-id")] = true; });

    function scrollDown() { transcript.scrollTop = transcript.scrollHeight; }

    function append(message) {
      if (seen[message.id]) { return; }
      seen[message.id] = true;
      after = Math.max(after, message.id);
      var li = document.createElement("li");
      li.className = "msg msg-" + message.sender;
      li.setAttribute("data-id", message.id);
      var time = document.createElement("span");
      time.className = "msg-time";
      time.textContent = message.at;
      var text = document.createElement("span");
      text.className = "msg-text";
      text.textContent = message.text;
      li.appendChild(time);
      li.appendChild(text);
      transcript.appendChild(li);
      scrollDown();
    }

    function markClosed() {
      if (closed) { return; }
      closed = true;
      var notice = document.getElementById("chat-closed");
      if (notice) { notice.hidden = false; }
      ["reply-input", "reply-send", "hand-back"].forEach(function (id) {
        var el = document.getElementById(id);
        if (el) { el.disabled = true; }
      });
      var status = document.getElementById("handoff-status");
      if (status) { status.textContent = "已结束"; }
    }

    function poll() {
      getJSON(pollUrl + "?after=" + after).then(function (data) {
        data.messages.forEach(append);
        if (data.status === "closed") { markClosed(); }
        else if (transcript.getAttribute("data-status") !== data.status) { window.location.reload(); }
      }).catch(function () { /* retried on the next tick */ });
    }

    scrollDown();
    if (transcript.getAttribute("data-status") !== "closed") {
      window.setInterval(function () { if (!closed) { poll(); } }, CHAT_MS);
    }

    var form = document.getElementById("reply-form");
    var input = document.getElementById("reply-input");
    if (!form || !input) { return; }
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    });
    form.addEventListener("submit", function (event) {
      var text = input.value.trim();
      if (!text) { event.preventDefault(); return; }
      event.preventDefault();
      var send = document.getElementById("reply-send");
      send.disabled = true;
      var body = new URLSearchParams();
      body.append("text", text);
      fetch(form.getAttribute("data-api"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" }
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) { throw new Error(result.data.error || "发送失败"); }
        append(result.data.message);
        input.value = "";
      }).catch(function (error) {
        window.alert(error.message || "发送失败，请重试");
      }).then(function () {
        send.disabled = closed;
        input.focus();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupCopy();
    setupTake();
    setupAdvance();
    alerts.setup();
    setupHeartbeat();
    setupChat();
  });
})();
