/*
 * 办电助手 · customer web chat.
 *
 * Plain ES2017, no dependencies. Talks JSON to the same origin:
 *   POST /api/session   {}                                    -> {session}  (ids are issued by the server)
 *   POST /api/chat      {session, message, display?, silent?} -> {replies: [...], handoff, queue?}
 *   POST /api/feedback  {session, exchange_id, rating}        -> {ok: true}
 *   GET  /api/updates?session=S&after=N                       -> {messages: [...], handoff, queue}
 *   (queue: customers ahead while a handoff waits, else null)
 *   POST /api/leave    {session}                               -> {ok}   (before a new conversation)
 *   GET  /healthz                                             (reconnect probe)
 * Message text is untrusted: it is only ever put into the page with textContent / text nodes.
 * A session id the server does not recognise (403 {renew: true}) is replaced by a new one from
 * /api/session and the request sent again once.
 */
(function () {
  'use strict';

  // ------------------------------------------------------------------ settings

  const KEY_SESSION = 'bandian.session';
  const KEY_TRANSCRIPT = 'bandian.transcript';
  const KEY_AFTER = 'bandian.after';
  const SESSION_PATTERN = /^[A-Za-z0-9_-]{44}$/;  // what POST /api/session issues

  const MAX_TRANSCRIPT = 200;
  const MAX_INPUT = 2000;
  const COUNTER_FROM = 1800;             // show "1834/2000" from here on
  const MAX_INPUT_LINES = 4;
  const STAMP_GAP_MS = 5 * 60 * 1000;    // WeChat: a time line after 5 quiet minutes
  const POLL_VISIBLE_MS = 2000;
  const POLL_HIDDEN_MS = 10000;
  const RECONNECT_FIRST_MS = 1000;
  const RECONNECT_MAX_MS = 15000;
  const CHAT_TIMEOUT_MS = 60000;
  const SMALL_TIMEOUT_MS = 15000;
  const NEAR_BOTTOM_PX = 80;

  const ROLES = ['user', 'bot', 'agent', 'notice', 'system'];
  const AVATAR = {
    bot: '/static/chat/avatar-bot.svg',
    notice: '/static/chat/avatar-bot.svg',
    agent: '/static/chat/avatar-agent.svg',
    user: '/static/chat/avatar-user.svg',
  };
  const AVATAR_ALT = { bot: '办电助手', notice: '办电助手', agent: '人工客服', user: '我' };
  const NAME_LABEL = { agent: '人工客服', notice: '办电进度' };
  const UPDATE_ROLE = { agent: 'agent', notice: 'notice', system: 'system' };

  const STATUS = {
    none: '国网供电服务 · 在线',
    waiting: '正在为您转接人工客服…',
    active: '人工客服服务中',
    offline: '网络已断开，正在重连…',
  };

  const ERROR_TEXT = {
    generic: '系统繁忙，请稍后再试；紧急情况请拨打 95598。',
    timeout: '回复超时了，请稍后点击“重发”。',
    413: '消息太长了，请精简后再发送。',
    429: '发送太频繁了，请稍等片刻再试。',
  };

  // ------------------------------------------------------------------ state

  const state = {
    session: '',           // issued by the server; '' until the first request asks for one
    sessionRequest: null,  // the pending POST /api/session, shared by concurrent callers
    transcript: [],        // entries: {role, text, at, buttons?, id?, rating?, message?, state?, uid?}
    after: 0,              // last update id seen
    handoff: 'none',
    ahead: null,           // customers ahead of us while the handoff waits (the answers' `queue`; status line)
    online: true,
    queue: [],             // {entry, message, display, silent} — sent strictly one at a time
    pumping: false,
    inFlight: 0,
    lastStampAt: 0,
    chips: null,           // the quick-replies element currently shown
    pollTimer: 0,
    polling: false,
    reconnectTimer: 0,
    reconnectDelay: RECONNECT_FIRST_MS,
    composing: false,
  };

  const rowOf = new WeakMap(); // transcript entry -> its element
  const dom = {};

  // ------------------------------------------------------------------ storage (never fatal)

  const memoryStore = {};

  function storeGet(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (_) {
      return Object.prototype.hasOwnProperty.call(memoryStore, key) ? memoryStore[key] : null;
    }
  }

  function storeSet(key, value) {
    memoryStore[key] = String(value);
    try {
      window.localStorage.setItem(key, String(value));
    } catch (_) { /* private mode or quota: the memory copy will do */ }
  }

  function storeRemove(key) {
    delete memoryStore[key];
    try {
      window.localStorage.removeItem(key);
    } catch (_) { /* ignore */ }
  }

  /** The stored session id, or '' (an id from before server-issued ids, or none: a new one is asked for). */
  function loadSession() {
    const session = storeGet(KEY_SESSION);
    return session && SESSION_PATTERN.test(session) ? session : '';
  }

  function loadAfter() {
    const after = parseInt(storeGet(KEY_AFTER) || '0', 10);
    return Number.isFinite(after) && after > 0 ? after : 0;
  }

  /** Read the stored transcript, dropping anything malformed. */
  function loadTranscript() {
    let raw;
    try {
      raw = JSON.parse(storeGet(KEY_TRANSCRIPT) || '[]');
    } catch (_) {
      raw = [];
    }
    if (!Array.isArray(raw)) return [];
    return raw.filter(isValidEntry).slice(-MAX_TRANSCRIPT).map((entry) => {
      // a message that was on its way when the page closed did not necessarily arrive
      if (entry.role === 'user' && entry.state === 'pending') entry.state = 'failed';
      if (!Number.isFinite(entry.at)) entry.at = Date.now();
      if (entry.buttons) entry.buttons = cleanButtons(entry.buttons);
      return entry;
    });
  }

  function isValidEntry(entry) {
    return entry !== null && typeof entry === 'object' && ROLES.indexOf(entry.role) !== -1 &&
      typeof entry.text === 'string';
  }

  function saveTranscript() {
    if (state.transcript.length > MAX_TRANSCRIPT) {
      state.transcript = state.transcript.slice(-MAX_TRANSCRIPT);
    }
    storeSet(KEY_TRANSCRIPT, JSON.stringify(state.transcript));
  }

  function setAfter(after) {
    state.after = after;
    storeSet(KEY_AFTER, after);
  }

  // ------------------------------------------------------------------ small helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function pad2(n) {
    return String(n).padStart(2, '0');
  }

  /** "11:05" today, "昨天 11:05", "11月24日 11:05", "2025年11月24日 11:05". */
  function formatStamp(ms, nowMs) {
    const d = new Date(ms);
    const now = new Date(nowMs === undefined ? Date.now() : nowMs);
    const time = pad2(d.getHours()) + ':' + pad2(d.getMinutes());
    const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
    const startOfYesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1).getTime();
    if (ms >= startOfToday) return time;
    if (ms >= startOfYesterday) return '昨天 ' + time;
    const day = (d.getMonth() + 1) + '月' + d.getDate() + '日 ';
    return (d.getFullYear() === now.getFullYear() ? '' : d.getFullYear() + '年') + day + time;
  }

  function parseTime(value) {
    const ms = typeof value === 'number' ? value : Date.parse(value);
    return Number.isFinite(ms) ? ms : Date.now();
  }

  function cleanButtons(buttons) {
    if (!Array.isArray(buttons)) return undefined;
    const clean = buttons
      .filter((b) => b && (typeof b.title === 'string' || typeof b.payload === 'string'))
      .map((b) => ({
        title: String(b.title || b.payload),
        payload: String(typeof b.payload === 'string' && b.payload ? b.payload : b.title),
      }));
    return clean.length ? clean : undefined;
  }

  const URL_PATTERN = /https?:\/\/[^\s<>"'，。；！？、）》」]+/g;

  /** Put text into a node, turning http(s) links into <a> — without ever parsing HTML. */
  function fillText(node, text) {
    let last = 0;
    text.replace(URL_PATTERN, (url, index) => {
      const trimmed = url.replace(/[.,;:!?)\]]+$/, '');
      node.appendChild(document.createTextNode(text.slice(last, index)));
      const link = el('a', '', trimmed);
      link.href = trimmed;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      node.appendChild(link);
      last = index + trimmed.length;
      return url;
    });
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  function hasFinePointer() {
    return window.matchMedia && window.matchMedia('(pointer: fine)').matches;
  }

  // ------------------------------------------------------------------ scrolling

  function isNearBottom() {
    const m = dom.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom(smooth) {
    const m = dom.messages;
    if (smooth && m.scrollTo) m.scrollTo({ top: m.scrollHeight, behavior: 'smooth' });
    else m.scrollTop = m.scrollHeight;
    dom.pill.hidden = true;
  }

  /** Append nodes to the log (above the typing bubble), keeping the view pinned if it was. */
  function appendToLog(nodes, forceScroll) {
    const stick = forceScroll || isNearBottom();
    const before = dom.typing.isConnected ? dom.typing : null;
    nodes.forEach((node) => dom.messages.insertBefore(node, before));
    if (stick) scrollToBottom(false);
    else dom.pill.hidden = false;
  }

  // ------------------------------------------------------------------ rendering

  /** Build the nodes for one transcript entry (time line + bubble, or a system line). */
  function renderEntry(entry) {
    const nodes = [];
    if (!state.lastStampAt || entry.at - state.lastStampAt >= STAMP_GAP_MS) {
      nodes.push(el('div', 'stamp', formatStamp(entry.at)));
      state.lastStampAt = entry.at;
    }
    const row = entry.role === 'system' ? el('div', 'system', entry.text) : buildBubbleRow(entry);
    rowOf.set(entry, row);
    nodes.push(row);
    return nodes;
  }

  function buildBubbleRow(entry) {
    const row = el('div', 'msg ' + entry.role);
    const avatar = el('img', 'avatar');
    avatar.src = AVATAR[entry.role];
    avatar.alt = AVATAR_ALT[entry.role];
    avatar.width = 40;
    avatar.height = 40;

    const body = el('div', 'body');
    if (NAME_LABEL[entry.role]) body.appendChild(el('div', 'name', NAME_LABEL[entry.role]));

    const line = el('div', 'bubble-line');
    const bubble = el('div', 'bubble');
    fillText(bubble, entry.text);
    line.appendChild(bubble);
    if (entry.role === 'user') {
      line.appendChild(el('span', 'send-state spinner'));
      line.appendChild(buildResendButton(entry));
      setUserState(row, entry.state);
    }
    body.appendChild(line);

    if (entry.role === 'bot' && typeof entry.id === 'number') body.appendChild(buildRating(entry));

    row.appendChild(avatar);
    row.appendChild(body);
    return row;
  }

  function buildResendButton(entry) {
    const button = el('button', 'resend');
    button.type = 'button';
    button.setAttribute('aria-label', '发送失败，点击重发');
    button.title = '重发';
    button.appendChild(el('span', 'bang', '!'));
    button.appendChild(el('span', 'resend-label', '重发'));
    button.addEventListener('click', () => resend(entry));
    return button;
  }

  function setUserState(row, sendState) {
    if (!row) return;
    row.classList.toggle('pending', sendState === 'pending');
    row.classList.toggle('failed', sendState === 'failed');
  }

  function buildRating(entry) {
    const box = el('div', 'rating');
    const up = el('button', 'rate-up', '👍');
    const down = el('button', 'rate-down', '👎');
    const note = el('span', 'rate-note');
    up.type = down.type = 'button';
    up.setAttribute('aria-label', '这个回答有帮助');
    down.setAttribute('aria-label', '这个回答没有帮助');
    up.title = '有帮助';
    down.title = '没帮助';
    up.addEventListener('click', () => rate(entry, 1, box));
    down.addEventListener('click', () => rate(entry, -1, box));
    box.appendChild(up);
    box.appendChild(down);
    box.appendChild(note);
    showRating(box, entry.rating);
    return box;
  }

  /** Reflect a (possibly absent) rating in the buttons. */
  function showRating(box, rating) {
    const up = box.querySelector('.rate-up');
    const down = box.querySelector('.rate-down');
    const note = box.querySelector('.rate-note');
    const done = rating === 1 || rating === -1;
    up.disabled = down.disabled = done;
    up.classList.toggle('chosen', rating === 1);
    down.classList.toggle('chosen', rating === -1);
    up.setAttribute('aria-pressed', String(rating === 1));
    down.setAttribute('aria-pressed', String(rating === -1));
    note.className = 'rate-note' + (done ? ' rate-thanks' : '');
    note.textContent = done ? '感谢反馈' : '';
  }

  /** Show quick-reply chips under an entry's bubble (only one set on screen at a time). */
  function showChips(entry) {
    clearChips();
    if (!entry.buttons || !entry.buttons.length) return null;
    const box = el('div', 'quick-replies');
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', '快捷回复');
    entry.buttons.forEach((b) => {
      const chip = el('button', '', b.title);
      chip.type = 'button';
      chip.addEventListener('click', () => {
        clearChips();
        sendMessage(b.payload, b.title);
        if (hasFinePointer()) dom.input.focus();
      });
      box.appendChild(chip);
    });
    state.chips = box;
    return box;
  }

  function clearChips() {
    if (state.chips) state.chips.remove();
    state.chips = null;
  }

  /** Add a new entry: store it, draw it, pin the view. */
  function addEntry(entry) {
    state.transcript.push(entry);
    saveTranscript();
    const nodes = renderEntry(entry);
    if (entry.role === 'user') clearChips();
    if (entry.role === 'bot' && entry.buttons) {
      const chips = showChips(entry);
      if (chips) nodes.push(chips);
    }
    appendToLog(nodes, entry.role === 'user');
    return entry;
  }

  function addSystem(text) {
    return addEntry({ role: 'system', text: text, at: Date.now() });
  }

  /** Draw the whole stored transcript (on load). */
  function renderTranscript() {
    const fragment = document.createDocumentFragment();
    let chipOwner = null;
    state.transcript.forEach((entry) => {
      renderEntry(entry).forEach((node) => fragment.appendChild(node));
      if (entry.role === 'user') chipOwner = null;
      if (entry.role === 'bot' && entry.buttons) chipOwner = entry;
    });
    dom.messages.appendChild(fragment);
    if (chipOwner) {
      const chips = showChips(chipOwner);
      const row = rowOf.get(chipOwner);
      if (chips && row) row.after(chips);
    }
    scrollToBottom(false);
  }

  function buildTyping() {
    const row = el('div', 'msg bot typing');
    row.setAttribute('aria-label', '办电助手正在输入');
    const avatar = el('img', 'avatar');
    avatar.src = AVATAR.bot;
    avatar.alt = AVATAR_ALT.bot;
    const body = el('div', 'body');
    const bubble = el('div', 'bubble');
    for (let i = 0; i < 3; i += 1) bubble.appendChild(el('span', 'dot'));
    body.appendChild(bubble);
    row.appendChild(avatar);
    row.appendChild(body);
    return row;
  }

  function setTyping(on) {
    if (on && !dom.typing.isConnected) {
      const stick = isNearBottom();
      dom.messages.appendChild(dom.typing);
      if (stick) scrollToBottom(false);
    } else if (!on && dom.typing.isConnected) {
      dom.typing.remove();
    }
  }

  // ------------------------------------------------------------------ status line & busy flag

  function renderStatus() {
    const key = !state.online ? 'offline' : (STATUS[state.handoff] ? state.handoff : 'none');
    let text = STATUS[key];
    if (key === 'waiting' && typeof state.ahead === 'number') {
      text = '正在为您转接人工客服 · ' + (state.ahead > 0 ? '前面还有' + state.ahead + '位' : '您是下一位');
    }
    dom.status.textContent = text;
    dom.status.dataset.state = key === 'none' ? 'online' : key;
  }

  /** The handoff state from an answer; `queue` (customers ahead) when the answer carries it. */
  function setHandoff(handoff, queue) {
    if (typeof handoff !== 'string' || !STATUS[handoff] || handoff === 'offline') return;
    let ahead = state.ahead;
    if (handoff !== 'waiting') ahead = null;
    else if (queue === null || (typeof queue === 'number' && queue >= 0)) ahead = queue;
    if (handoff === state.handoff && ahead === state.ahead) return;
    state.handoff = handoff;
    state.ahead = ahead;
    renderStatus();
  }

  function updateBusy() {
    if (state.pumping || state.inFlight > 0) document.body.dataset.busy = '1';
    else delete document.body.dataset.busy;
  }

  // ------------------------------------------------------------------ HTTP

  class NetworkError extends Error {}

  /**
   * fetch + JSON. Resolves {ok, status, data}; rejects with NetworkError when the server
   * could not be reached at all (the caller then goes offline), or with an Error named
   * 'TimeoutError' when it took too long.
   */
  async function requestJSON(method, url, body, timeoutMs) {
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    let timedOut = false;
    const timer = controller ? setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs) : 0;
    let response;
    try {
      response = await fetch(url, {
        method: method,
        headers: body === undefined ? { Accept: 'application/json' }
          : { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller ? controller.signal : undefined,
      });
    } catch (error) {
      clearTimeout(timer);
      if (timedOut) {
        const timeout = new Error('timeout');
        timeout.name = 'TimeoutError';
        throw timeout;
      }
      throw new NetworkError(String(error && error.message));
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) { /* not JSON (a proxy error page, say) */ }
    clearTimeout(timer);
    return { ok: response.ok, status: response.status, data: data };
  }

  function errorText(result) {
    if (result.data && typeof result.data.error === 'string' && result.data.error.trim()) {
      return result.data.error;
    }
    return ERROR_TEXT[result.status] || ERROR_TEXT.generic;
  }

  // ------------------------------------------------------------------ session id (issued by the server)

  class SessionError extends Error {}

  /** The session id, asking the server for a new one when there is none. */
  async function ensureSession() {
    if (state.session) return state.session;
    if (!state.sessionRequest) {
      state.sessionRequest = (async () => {
        try {
          const result = await requestJSON('POST', '/api/session', {}, SMALL_TIMEOUT_MS);
          const session = result.ok && result.data ? result.data.session : null;
          if (typeof session !== 'string' || !SESSION_PATTERN.test(session)) throw new SessionError(errorText(result));
          state.session = session;
          storeSet(KEY_SESSION, session);
          return session;
        } finally {
          state.sessionRequest = null;
        }
      })();
    }
    return state.sessionRequest;
  }

  /** Send a request made by `send(session)`; when the server no longer knows the session, once more
   *  with a new one. */
  async function withSession(send) {
    const session = await ensureSession();
    const result = await send(session);
    if (result.status !== 403 || !result.data || result.data.renew !== true) return result;
    if (state.session === session) {
      state.session = '';
      storeRemove(KEY_SESSION);
    }
    return send(await ensureSession());
  }

  // ------------------------------------------------------------------ sending

  /** Show the customer's bubble now and queue the message. */
  function sendMessage(message, display) {
    const text = display || message;
    const entry = { role: 'user', text: text, at: Date.now(), state: 'pending' };
    if (display && display !== message) entry.message = message;
    addEntry(entry);
    enqueue({ entry: entry, message: message, display: display });
  }

  function enqueue(item) {
    state.queue.push(item);
    pump();
  }

  function resend(entry) {
    if (state.queue.some((item) => item.entry === entry)) {
      // already waiting for the connection: try reaching the server now
      if (!state.online) checkHealthSoon(0);
      return;
    }
    markUser(entry, 'pending');
    const message = entry.message || entry.text;
    enqueue({ entry: entry, message: message, display: entry.message ? entry.text : undefined });
  }

  function markUser(entry, sendState) {
    if (sendState) entry.state = sendState;
    else delete entry.state;
    saveTranscript();
    setUserState(rowOf.get(entry), sendState);
  }

  /** Work through the queue, one request at a time, until it is empty or we are offline. */
  async function pump() {
    if (state.pumping || !state.online) return;
    state.pumping = true;
    updateBusy();
    try {
      while (state.queue.length && state.online) {
        const outcome = await deliver(state.queue[0]);
        if (outcome === 'offline') break; // keep the item at the head; retried on reconnect
        state.queue.shift();
      }
    } finally {
      state.pumping = false;
      updateBusy();
    }
  }

  /** Send one queued message. Returns 'done' or 'offline'. */
  async function deliver(item) {
    if (item.entry) markUser(item.entry, 'pending');
    const fields = { message: item.message };
    if (item.display) fields.display = item.display;
    if (item.silent) fields.silent = true;

    setTyping(true);
    let result;
    try {
      result = await withSession((session) =>
        requestJSON('POST', '/api/chat', Object.assign({ session: session }, fields), CHAT_TIMEOUT_MS));
    } catch (error) {
      setTyping(false);
      if (item.entry) markUser(item.entry, 'failed');
      if (error instanceof NetworkError) {
        goOffline();
        return 'offline';
      }
      addSystem(error instanceof SessionError ? error.message : ERROR_TEXT.timeout);
      return 'done';
    }
    setTyping(false);

    if (!result.ok || !result.data || !Array.isArray(result.data.replies)) {
      if (item.entry) markUser(item.entry, 'failed');
      addSystem(errorText(result));
      return 'done';
    }
    if (item.entry) markUser(item.entry, null);
    showReplies(result.data.replies);
    setHandoff(result.data.handoff, result.data.queue);
    return 'done';
  }

  /** Render the bot's replies; a rating row goes under the last reply of each exchange id. */
  function showReplies(replies) {
    const lastIndexOfId = {};
    replies.forEach((reply, index) => {
      if (reply && typeof reply.id === 'number') lastIndexOfId[reply.id] = index;
    });
    replies.forEach((reply, index) => {
      if (!reply || typeof reply !== 'object') return;
      const text = typeof reply.text === 'string' ? reply.text : '';
      const buttons = cleanButtons(reply.buttons);
      if (!text.trim() && !buttons) return;
      const entry = { role: 'bot', text: text, at: Date.now() };
      if (buttons) entry.buttons = buttons;
      if (typeof reply.id === 'number' && lastIndexOfId[reply.id] === index) entry.id = reply.id;
      addEntry(entry);
    });
  }

  // ------------------------------------------------------------------ rating

  async function rate(entry, rating, box) {
    if (entry.rating) return;
    const buttons = box.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    const note = box.querySelector('.rate-note');
    state.inFlight += 1;
    updateBusy();
    let ok = false;
    try {
      const session = await ensureSession();
      const result = await requestJSON('POST', '/api/feedback',
        { session: session, exchange_id: entry.id, rating: rating }, SMALL_TIMEOUT_MS);
      ok = result.ok;
    } catch (_) {
      ok = false;
    } finally {
      state.inFlight -= 1;
      updateBusy();
    }
    if (ok) {
      entry.rating = rating;
      saveTranscript();
      showRating(box, rating);
    } else {
      showRating(box, undefined);
      note.className = 'rate-note rate-error';
      note.textContent = '提交失败，请重试';
    }
  }

  // ------------------------------------------------------------------ updates (agent / notices)

  function schedulePoll(delay) {
    clearTimeout(state.pollTimer);
    if (!state.online) return;
    const wait = delay !== undefined ? delay : (document.hidden ? POLL_HIDDEN_MS : POLL_VISIBLE_MS);
    state.pollTimer = setTimeout(poll, wait);
  }

  async function poll() {
    if (state.polling || !state.online) return;
    state.polling = true;
    let nextDelay;
    try {
      const result = await withSession((session) => requestJSON('GET', '/api/updates?session=' +
        encodeURIComponent(session) + '&after=' + encodeURIComponent(state.after), undefined, SMALL_TIMEOUT_MS));
      if (result.ok && result.data) {
        showUpdates(result.data.messages);
        setHandoff(result.data.handoff, result.data.queue);
      } else {
        nextDelay = POLL_HIDDEN_MS; // the server is unhappy: ask less often
      }
    } catch (error) {
      if (error instanceof NetworkError) goOffline();
      else nextDelay = POLL_HIDDEN_MS;
    } finally {
      state.polling = false;
    }
    schedulePoll(nextDelay);
  }

  function showUpdates(messages) {
    if (!Array.isArray(messages)) return;
    let after = state.after;
    messages
      .filter((m) => m && typeof m.id === 'number' && m.id > state.after)
      .sort((a, b) => a.id - b.id)
      .forEach((m) => {
        after = Math.max(after, m.id);
        if (typeof m.text !== 'string' || !m.text.trim()) return;
        addEntry({ role: UPDATE_ROLE[m.kind] || 'system', text: m.text, at: parseTime(m.at), uid: m.id });
      });
    if (after !== state.after) setAfter(after);
  }

  // ------------------------------------------------------------------ connectivity

  function goOffline() {
    if (!state.online) return;
    state.online = false;
    clearTimeout(state.pollTimer);
    state.reconnectDelay = RECONNECT_FIRST_MS;
    renderStatus();
    checkHealthSoon(state.reconnectDelay);
  }

  function goOnline() {
    if (state.online) return;
    state.online = true;
    clearTimeout(state.reconnectTimer);
    renderStatus();
    pump();               // resend whatever waited for the connection
    schedulePoll(0);
  }

  function checkHealthSoon(delay) {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(checkHealth, delay);
  }

  async function checkHealth() {
    let healthy = false;
    try {
      const result = await requestJSON('GET', '/healthz', undefined, 5000);
      healthy = result.ok;
    } catch (_) {
      healthy = false;
    }
    if (healthy) {
      goOnline();
      return;
    }
    state.reconnectDelay = Math.min(state.reconnectDelay * 2, RECONNECT_MAX_MS);
    checkHealthSoon(state.reconnectDelay);
  }

  // ------------------------------------------------------------------ composer

  function inputText() {
    return dom.input.value;
  }

  function updateComposer() {
    const value = inputText();
    dom.send.disabled = !value.trim();
    const length = value.length;
    if (length >= COUNTER_FROM) {
      dom.counter.hidden = false;
      dom.counter.textContent = length + '/' + MAX_INPUT;
      dom.counter.classList.toggle('full', length >= MAX_INPUT);
    } else {
      dom.counter.hidden = true;
    }
    autoGrow();
  }

  /** Grow the textarea with its content, up to four lines, then scroll inside it. */
  function autoGrow() {
    const input = dom.input;
    const styles = window.getComputedStyle(input);
    const lineHeight = parseFloat(styles.lineHeight) || 24;
    const padding = parseFloat(styles.paddingTop) + parseFloat(styles.paddingBottom);
    const max = lineHeight * MAX_INPUT_LINES + padding;
    input.style.height = 'auto';
    const wanted = input.scrollHeight;
    input.style.height = Math.min(wanted, max) + 'px';
    input.classList.toggle('scrolling', wanted > max);
  }

  function submitInput() {
    const text = inputText();
    if (!text.trim()) return;
    dom.input.value = '';
    updateComposer();
    sendMessage(text.slice(0, MAX_INPUT));
    dom.input.focus();
  }

  function isImeEnter(event) {
    return state.composing || event.isComposing || event.keyCode === 229;
  }

  function onKeydown(event) {
    if (event.key !== 'Enter' || isImeEnter(event)) return;
    if (event.shiftKey) return; // Shift+Enter: a new line
    event.preventDefault();
    submitInput();
  }

  async function startNewChat() {
    const sure = window.confirm('开始新对话？当前的对话记录将被清除。');
    if (!sure) return;
    try {
      // close a handoff still open for the old conversation, so no agent waits for it
      if (state.session) await requestJSON('POST', '/api/leave', { session: state.session }, SMALL_TIMEOUT_MS);
    } catch (error) {
      // offline: the handoff is released when the agent hands it back
    }
    [KEY_SESSION, KEY_TRANSCRIPT, KEY_AFTER].forEach(storeRemove);
    window.location.reload();
  }

  // ------------------------------------------------------------------ start-up

  function bindEvents() {
    dom.form.addEventListener('submit', (event) => {
      event.preventDefault();
      submitInput();
    });
    dom.input.addEventListener('input', updateComposer);
    dom.input.addEventListener('keydown', onKeydown);
    dom.input.addEventListener('compositionstart', () => { state.composing = true; });
    dom.input.addEventListener('compositionend', () => {
      // Safari fires compositionend before the Enter keydown that ends it: wait a tick
      setTimeout(() => { state.composing = false; }, 0);
    });
    dom.send.addEventListener('mousedown', (event) => event.preventDefault()); // keep the keyboard up
    dom.newChat.addEventListener('click', startNewChat);
    dom.messages.addEventListener('scroll', () => {
      if (isNearBottom()) dom.pill.hidden = true;
    }, { passive: true });
    dom.pill.addEventListener('click', () => scrollToBottom(true));

    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && state.online) schedulePoll(0);
    });
    window.addEventListener('online', () => {
      state.reconnectDelay = RECONNECT_FIRST_MS;
      if (!state.online) checkHealthSoon(0);
    });
    window.addEventListener('offline', goOffline);
    window.addEventListener('resize', () => {
      if (isNearBottom()) scrollToBottom(false); // keyboard opening on mobile
    });
  }

  function init() {
    dom.messages = document.getElementById('messages');
    dom.pill = document.getElementById('new-pill');
    dom.input = document.getElementById('input');
    dom.send = document.getElementById('send');
    dom.form = document.getElementById('composer-form');
    dom.counter = document.getElementById('counter');
    dom.status = document.getElementById('status');
    dom.newChat = document.getElementById('new-chat');
    dom.typing = buildTyping();
    dom.input.maxLength = MAX_INPUT;

    state.session = loadSession();
    state.transcript = loadTranscript();
    state.after = loadAfter();

    renderTranscript();
    renderStatus();
    updateComposer();
    bindEvents();

    // first visit: let the assistant say hello (no customer bubble)
    if (!state.transcript.some((entry) => entry.role !== 'system')) {
      enqueue({ entry: null, message: '/greet', silent: true });
    }
    schedulePoll(0);
    if (hasFinePointer()) dom.input.focus();
    document.body.dataset.ready = '1';
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
