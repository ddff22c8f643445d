/* Tongsheng kiosk: one survey launch on a shared tablet, one question a screen,
   finished answers queued on the tablet until the server confirms them. */
(function () {
  "use strict";

  const QUEUE_PREFIX = "tongsheng.queue.";
  const PROBLEM_PREFIX = "tongsheng.problem.";
  const TABLET_KEY = "tongsheng.tablet";
  const WARN_SECONDS = 15;
  const DONE_SECONDS = 8;
  const ADVANCE_MS = 320;
  const SETTLE_MS = 300;
  const SEND_TIMEOUT_MS = 20000;
  const MAX_BACKOFF_MS = 60000;
  const CHUNK_CHARS = 18;
  const HAN = /[\u3400-\u9fff]/;
  const SAME_SITE = /^\/(?![/\\])[^\s"'<>]*$/;
  const MAX_DIGITS = 9;
  const DONE_WORDS = { sent: "sent", sending: "sending", preview: "previewDone" };
  const SPEECH_PIECES = /[^。！？；，、,.!?;：:\n]+[。！？；，、,.!?;：:]*/g;

  // Fixed words of the kiosk with their pinyin (tone changes of 一 and 不 marked
  // as first-grade textbooks do), shown as ruby when the launch asks for pinyin.
  const UI = {
    start: ["开始", "kāi shǐ"],
    voluntary: [
      "每一题都可以不回答，也可以随时结束。",
      "měi yì tí dōu kě yǐ bù huí dá yě kě yǐ suí shí jié shù",
    ],
    read: ["读给我听", "dú gěi wǒ tīng"],
    stop: ["结束", "jié shù"],
    skip: ["我不想回答", "wǒ bù xiǎng huí dá"],
    back: ["上一题", "shàng yì tí"],
    next: ["下一题", "xià yì tí"],
    practice: ["这是练习题，怎么答都可以。", "zhè shì liàn xí tí zěn me dá dōu kě yǐ"],
    realStart: [
      "练习结束了，下面是正式的问题。",
      "liàn xí jié shù le xià miàn shì zhèng shì de wèn tí",
    ],
    multiHint: ["可以选好几个。", "kě yǐ xuǎn hǎo jǐ gè"],
    rankHint: [
      "先点最想要的，再点下一个。点错了，再点一下。",
      "xiān diǎn zuì xiǎng yào de zài diǎn xià yí gè diǎn cuò le zài diǎn yí xià",
    ],
    numberHint: ["点 − 或 + 选数字。", "diǎn huò xuǎn shù zì"],
    from: ["可以选", "kě yǐ xuǎn"],
    to: ["到", "dào"],
    least: ["最小是", "zuì xiǎo shì"],
    most: ["最大是", "zuì dà shì"],
    textHint: [
      "不想写也可以。也可以请老师帮你写。",
      "bù xiǎng xiě yě kě yǐ yě kě yǐ qǐng lǎo shī bāng nǐ xiě",
    ],
    finishTitle: ["全部答完了！", "quán bù dá wán le"],
    finishHint: [
      "点「完成」，把回答交上去。",
      "diǎn wán chéng bǎ huí dá jiāo shàng qù",
    ],
    finish: ["完成", "wán chéng"],
    doneTitle: ["太好了！", "tài hǎo le"],
    saved: ["已保存在这台平板上", "yǐ bǎo cún zài zhè tái píng bǎn shàng"],
    sent: ["已送出，谢谢你！", "yǐ sòng chū xiè xie nǐ"],
    sending: ["正在送出……", "zhèng zài sòng chū"],
    feedback: ["你说，我们做", "nǐ shuō wǒ men zuò"],
    nextChild: ["下一位", "xià yí wèi"],
    stopTitle: ["要结束吗？", "yào jié shù ma"],
    stopKeep: ["已经回答的会保存下来。", "yǐ jīng huí dá de huì bǎo cún xià lái"],
    stopNothing: [
      "你还没有回答，不会保存什么。",
      "nǐ hái méi yǒu huí dá bú huì bǎo cún shén me",
    ],
    stopNo: ["继续回答", "jì xù huí dá"],
    idleTitle: ["你还在吗？", "nǐ hái zài ma"],
    idleHint: ["秒后回到开始", "miǎo hòu huí dào kāi shǐ"],
    stillHere: ["我还在", "wǒ hái zài"],
    preview: ["预览", "yù lǎn"],
    previewDone: [
      "这是预览，回答没有保存。",
      "zhè shì yù lǎn huí dá méi yǒu bǎo cún",
    ],
  };

  const data = JSON.parse(document.getElementById("kiosk-data").textContent);
  const app = document.getElementById("app");
  const indicator = document.getElementById("queue");
  // A preview shows the survey to staff: it keeps and sends nothing at all.
  const preview = data.preview === true;
  const questions = ordered(data.questions || []);
  const byKey = Object.create(null);
  questions.forEach((q) => {
    byKey[q.key] = q;
  });

  const memory = new Map();
  const outcomes = new Map();
  const sender = { busy: false, again: false, tries: 0, timer: 0 };
  const speech = { voice: null, audio: null, utterances: [] };
  const idle = { timer: 0, tick: 0, left: 0 };
  let screenTimers = [];
  let advanceTimer = 0;
  let overlay = null;
  let child = null;
  let doneId = null;

  /* ---------- storage: localStorage, or memory when the browser refuses ---------- */

  function readRaw(key) {
    let value = null;
    try {
      value = window.localStorage.getItem(key);
    } catch (e) {
      value = null;
    }
    return value === null && memory.has(key) ? memory.get(key) : value;
  }

  function writeRaw(key, value) {
    try {
      window.localStorage.setItem(key, value);
      memory.delete(key);
      return true;
    } catch (e) {
      memory.set(key, value);
      return false;
    }
  }

  function removeRaw(key) {
    memory.delete(key);
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      // Storage is blocked: the memory copy, the only one, is gone already.
    }
  }

  function keysWith(prefix) {
    const keys = new Set();
    try {
      for (let i = 0; i < window.localStorage.length; i += 1) {
        const key = window.localStorage.key(i);
        if (key && key.indexOf(prefix) === 0) keys.add(key);
      }
    } catch (e) {
      // Storage is blocked: only the memory copies count.
    }
    memory.forEach((value, key) => {
      if (key.indexOf(prefix) === 0) keys.add(key);
    });
    return Array.from(keys);
  }

  function readEntry(key) {
    try {
      return JSON.parse(readRaw(key));
    } catch (e) {
      return null;
    }
  }

  function uuid4() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => (b + 0x100).toString(16).slice(1)).join("");
    return [
      hex.slice(0, 8),
      hex.slice(8, 12),
      hex.slice(12, 16),
      hex.slice(16, 20),
      hex.slice(20),
    ].join("-");
  }

  function tabletId() {
    let id = readRaw(TABLET_KEY);
    if (!id) {
      id = uuid4();
      writeRaw(TABLET_KEY, id);
    }
    return id;
  }

  /* ---------- the outgoing queue ---------- */

  function enqueue(id, answers) {
    const key = QUEUE_PREFIX + id;
    if (readRaw(key) !== null) return true;

    const entry = {
      url: data.submit_url,
      created: Date.now(),
      body: { id: id, answers: answers, tablet: tabletId() },
    };
    const durable = writeRaw(key, JSON.stringify(entry));
    changed();
    flush();
    return durable;
  }

  function pending(seen) {
    return keysWith(QUEUE_PREFIX)
      .map(readEntry)
      .filter((e) => e && e.url && e.body && !seen.has(e.body.id))
      .sort((a, b) => a.created - b.created);
  }

  async function flush() {
    if (preview) return;
    if (sender.busy) {
      sender.again = true;
      return;
    }
    sender.busy = true;
    window.clearTimeout(sender.timer);
    try {
      await sendAll();
    } finally {
      sender.busy = false;
      if (sender.again) {
        sender.again = false;
        flush();
      }
    }
  }

  async function sendAll() {
    const seen = new Set();
    let failed = false;
    for (let entry = pending(seen)[0]; entry; entry = pending(seen)[0]) {
      seen.add(entry.body.id);
      const status = await post(entry);
      const outcome = outcomeOf(status);
      if (outcome !== "retry") {
        settle(entry, outcome, status);
        continue;
      }
      failed = true;
      // No answer at all means the network is down: the other entries would fail too.
      if (status === 0) break;
    }
    if (failed) retryLater();
    else sender.tries = 0;
  }

  async function post(entry) {
    const abort = typeof AbortController === "function" ? new AbortController() : null;
    const timer = abort ? window.setTimeout(() => abort.abort(), SEND_TIMEOUT_MS) : 0;
    try {
      const response = await window.fetch(entry.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(entry.body),
        credentials: "omit",
        cache: "no-store",
        redirect: "error",
        signal: abort ? abort.signal : undefined,
      });
      return response.status;
    } catch (e) {
      return 0;
    } finally {
      window.clearTimeout(timer);
    }
  }

  function outcomeOf(status) {
    if (status >= 200 && status < 300) return "sent";
    if (status === 0 || status === 408 || status === 429 || status >= 500)
      return "retry";
    return "problem";
  }

  function retryLater() {
    sender.tries += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, sender.tries - 1));
    const wait = Math.min(MAX_BACKOFF_MS, base * (0.75 + Math.random() * 0.5));
    sender.timer = window.setTimeout(flush, wait);
  }

  function settle(entry, outcome, status) {
    const id = entry.body.id;
    if (outcome === "problem") {
      entry.status = status;
      writeRaw(PROBLEM_PREFIX + id, JSON.stringify(entry));
    }
    removeRaw(QUEUE_PREFIX + id);
    outcomes.set(id, outcome);
    changed();
  }

  function changed() {
    updateIndicator();
    updateDoneStatus();
  }

  function updateIndicator() {
    if (preview) return;

    const waiting = keysWith(QUEUE_PREFIX).length;
    const problems = keysWith(PROBLEM_PREFIX).length;
    const parts = [];
    if (waiting) parts.push("待发送 " + waiting);
    if (problems) parts.push("问题 " + problems);
    indicator.textContent = parts.join(" · ");
    indicator.hidden = parts.length === 0;
    indicator.setAttribute("data-waiting", String(waiting));
    indicator.setAttribute("data-problems", String(problems));
  }

  function stateOf(id, durable) {
    if (preview) return "preview";
    if (outcomes.has(id)) return outcomes.get(id);
    if (readRaw(PROBLEM_PREFIX + id) !== null) return "problem";
    if (readRaw(QUEUE_PREFIX + id) === null) return "sent";
    return durable ? "saved" : "sending";
  }

  /* ---------- read-aloud ---------- */

  function voiceRank(voice) {
    const lang = String(voice.lang || "")
      .replace("_", "-")
      .toLowerCase();
    let rank = 0;
    if (/^(zh-cn|cmn|zh-hans)/.test(lang)) rank = 4;
    else if (lang.indexOf("zh") === 0) rank = 2;
    return rank && voice.localService ? rank + 1 : rank;
  }

  function chineseVoice() {
    let best = null;
    let bestRank = 0;
    window.speechSynthesis.getVoices().forEach((voice) => {
      const rank = voiceRank(voice);
      if (rank > bestRank) {
        best = voice;
        bestRank = rank;
      }
    });
    return best;
  }

  function watchVoices() {
    if (!("speechSynthesis" in window)) return;

    const update = () => {
      speech.voice = chineseVoice();
      app.querySelectorAll("[data-testid=read-aloud]").forEach((button) => {
        button.hidden = !canRead(button.getAttribute("data-audio"));
      });
    };
    window.speechSynthesis.onvoiceschanged = update;
    update();
  }

  function canRead(audioUrl) {
    return Boolean(speech.voice || audioUrl);
  }

  function chunks(parts) {
    const out = [];
    parts.filter(Boolean).forEach((part) => {
      let current = "";
      (String(part).match(SPEECH_PIECES) || []).forEach((raw) => {
        const piece = raw.trim();
        if (current && current.length + piece.length > CHUNK_CHARS) {
          out.push(current);
          current = "";
        }
        current += piece;
      });
      if (current) out.push(current);
    });
    return out;
  }

  function readAloud(parts, audioUrl) {
    stopSpeech();
    if (speech.voice) {
      chunks(parts).forEach(speakChunk);
    } else if (audioUrl) {
      playClip(audioUrl);
    }
  }

  function speakChunk(text) {
    const utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    utterance.voice = speech.voice;
    utterance.rate = 0.9;
    speech.utterances.push(utterance);
    window.speechSynthesis.speak(utterance);
  }

  function playClip(url) {
    speech.audio = new window.Audio(url);
    const playing = speech.audio.play();
    if (playing && playing.catch) playing.catch(() => undefined);
  }

  function stopSpeech() {
    if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    speech.utterances = [];
    if (speech.audio) {
      speech.audio.pause();
      speech.audio = null;
    }
  }

  /* ---------- building the page: text as text nodes, never as HTML ---------- */

  function h(tag, props, children) {
    const node = document.createElement(tag);
    Object.keys(props || {}).forEach((name) => {
      const value = props[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "on") {
        Object.keys(value).forEach((type) => node.addEventListener(type, value[type]));
      } else if (name === "testid") {
        node.setAttribute("data-testid", value);
      } else {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    });
    append(node, children);
    return node;
  }

  function append(node, children) {
    [].concat(children === undefined ? [] : children).forEach((c) => {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    });
  }

  function rubyText(text, ruby) {
    if (!data.pinyin || !Array.isArray(ruby) || !ruby.length) {
      return document.createTextNode(String(text || ""));
    }
    const frag = document.createDocumentFragment();
    ruby.forEach((pair) => {
      const base = String(pair[0] || "");
      const sound = String(pair[1] || "");
      frag.appendChild(
        sound ? h("ruby", null, [base, h("rt", null, sound)]) : h("span", null, base),
      );
    });
    return frag;
  }

  function label(name) {
    return say(UI[name][0], UI[name][1]);
  }

  function say(text, pinyin) {
    const sounds = pinyin.split(" ");
    let i = 0;
    return rubyText(
      text,
      Array.from(text, (ch) => [ch, HAN.test(ch) ? sounds[i++] || "" : ""]),
    );
  }

  function icon(symbol) {
    return h("span", { class: "icon", "aria-hidden": "true" }, symbol);
  }

  function arrow(symbol) {
    return h("span", { class: "arrow", "aria-hidden": "true" }, symbol);
  }

  function later(fn, ms) {
    const id = window.setTimeout(fn, ms);
    screenTimers.push(id);
    return id;
  }

  function show(name, children, attrs) {
    screenTimers.forEach((id) => window.clearTimeout(id));
    screenTimers = [];
    stopSpeech();
    app.querySelectorAll("textarea, input").forEach((field) => {
      field.value = "";
    });

    const props = Object.assign(
      { class: "screen settling", "data-screen": name },
      attrs,
    );
    const node = h("section", props, children);
    app.textContent = "";
    app.appendChild(node);
    window.scrollTo(0, 0);
    later(() => node.classList.remove("settling"), SETTLE_MS);
    const heading = node.querySelector("h1");
    if (heading) heading.focus({ preventScroll: true });
  }

  function topBar(progress, readParts, audioUrl, withStop) {
    return h("div", { class: "top" }, [
      preview
        ? h("span", { class: "badge", testid: "preview-badge" }, [
            icon("👀"),
            label("preview"),
          ])
        : null,
      progress || h("span", { class: "spacer" }),
      readButton(readParts, audioUrl),
      withStop
        ? h(
            "button",
            {
              type: "button",
              class: "btn stop",
              testid: "stop",
              on: { click: askStop },
            },
            [icon("✋"), label("stop")],
          )
        : null,
    ]);
  }

  function readButton(parts, audioUrl) {
    if (!data.read_aloud) return null;

    const button = h(
      "button",
      {
        type: "button",
        class: "btn read",
        testid: "read-aloud",
        "data-audio": audioUrl || null,
        on: { click: () => readAloud(parts, audioUrl) },
      },
      [icon("🔊"), label("read")],
    );
    button.hidden = !canRead(audioUrl);
    return button;
  }

  /* ---------- which questions a child sees ---------- */

  function ordered(list) {
    return list.filter((q) => q.practice).concat(list.filter((q) => !q.practice));
  }

  function isShown(q, answers, depth) {
    const rule = q.show_if;
    if (!rule) return true;

    const ref = byKey[rule.question];
    const level = depth || 0;
    if (!ref || level > questions.length || !isShown(ref, answers, level + 1))
      return false;

    const answer = answers[rule.question];
    const allowed = rule.in || [];
    if (Array.isArray(answer)) return answer.some((v) => allowed.indexOf(v) >= 0);
    return typeof answer === "string" && allowed.indexOf(answer) >= 0;
  }

  function has(answers, key) {
    return Object.prototype.hasOwnProperty.call(answers, key);
  }

  function payload(answers) {
    const out = Object.create(null);
    questions.forEach((q) => {
      if (!q.practice && has(answers, q.key) && isShown(q, answers))
        out[q.key] = answers[q.key];
    });
    return out;
  }

  function nextIndex(from) {
    for (let i = from + 1; i < questions.length; i += 1) {
      if (isShown(questions[i], child.answers)) return i;
    }
    return -1;
  }

  function prevIndex(from) {
    for (let i = Math.min(from, questions.length) - 1; i >= 0; i -= 1) {
      if (isShown(questions[i], child.answers)) return i;
    }
    return -1;
  }

  function optionsOf(q) {
    if (q.options && q.options.length) return q.options;
    if (q.type !== "yesno") return [];
    return [
      { value: "yes", label: "是", emoji: "👍", ruby: [["是", "shì"]] },
      {
        value: "no",
        label: "不是",
        emoji: "👎",
        ruby: [
          ["不", "bú"],
          ["是", "shì"],
        ],
      },
    ];
  }

  /* ---------- screens ---------- */

  function renderStart() {
    show("start", [
      topBar(null, [data.title, data.intro, UI.voluntary[0]], null, false),
      h("div", { class: "hero", "aria-hidden": "true" }, "🙋"),
      h(
        "h1",
        { class: "title", tabindex: "-1", testid: "title" },
        rubyText(data.title, data.title_ruby),
      ),
      h(
        "p",
        { class: "intro", testid: "intro" },
        rubyText(data.intro, data.intro_ruby),
      ),
      h("p", { class: "note" }, label("voluntary")),
      h(
        "button",
        {
          type: "button",
          class: "btn primary start",
          testid: "start",
          on: { click: startSurvey },
        },
        [label("start"), arrow("▶")],
      ),
    ]);
  }

  function startSurvey() {
    if (child) return;

    child = {
      id: uuid4(),
      answers: Object.create(null),
      ranking: Object.create(null),
      index: -1,
      finished: false,
    };
    if (!history.state || history.state.kiosk !== "survey") {
      history.pushState({ kiosk: "survey" }, "", cleanUrl());
    }
    armIdle();
    goNext();
  }

  function goNext() {
    window.clearTimeout(advanceTimer);
    if (!child) return;

    const next = nextIndex(child.index);
    if (next < 0) renderFinish();
    else renderQuestion(next);
  }

  function goBack() {
    window.clearTimeout(advanceTimer);
    if (!child) return;

    const prev = prevIndex(child.index);
    if (prev >= 0) renderQuestion(prev);
  }

  function renderQuestion(index) {
    child.index = index;
    const q = questions[index];
    const options = optionsOf(q);
    show(
      "question",
      [
        topBar(progressFor(q), readPartsFor(q, options), q.audio_url, true),
        noteFor(q, index),
        h(
          "h1",
          { class: "prompt", id: "prompt", tabindex: "-1", testid: "prompt" },
          rubyText(q.prompt, q.ruby),
        ),
        questionNote(q),
        hintFor(q),
        answerArea(q, options),
        h(
          "button",
          {
            type: "button",
            class: "btn skip",
            testid: "skip",
            on: { click: () => skip(q) },
          },
          [label("skip")],
        ),
        navBar(),
      ],
      {
        "data-key": q.key,
        "data-type": q.type,
        "data-practice": q.practice ? "true" : "false",
      },
    );
    refreshSelection(q);
  }

  function readPartsFor(q, options) {
    const parts = [q.prompt, noteText(q)];
    if (q.type === "text") return parts.concat(UI.textHint[0]);
    if (q.type === "number") {
      return parts.concat(rangeWords(q).map((w) => w[0]).join(""));
    }
    return parts.concat(options.map((o) => o.label));
  }

  function progressFor(q) {
    if (q.practice) return null;
    const shown = questions.filter((x) => !x.practice && isShown(x, child.answers));
    const position = shown.indexOf(q) + 1;
    return h("div", { class: "progress", testid: "progress" }, [
      h("progress", {
        max: shown.length,
        value: position,
        "aria-label": "第" + position + "题，共" + shown.length + "题",
      }),
      h("span", { class: "count" }, position + "/" + shown.length),
    ]);
  }

  function noteFor(q, index) {
    if (q.practice)
      return h(
        "p",
        { class: "note practice", testid: "practice-note" },
        label("practice"),
      );
    if (index > 0 && questions[index - 1].practice)
      return h("p", { class: "note" }, label("realStart"));
    return null;
  }

  function noteText(q) {
    return typeof q.note === "string" && q.note.trim() ? q.note : null;
  }

  function questionNote(q) {
    const text = noteText(q);
    if (!text) return null;
    return h(
      "p",
      { class: "note qnote", testid: "question-note" },
      rubyText(text, q.note_ruby),
    );
  }

  function hintFor(q) {
    if (q.type === "multi") return h("p", { class: "hint" }, label("multiHint"));
    if (q.type === "ranking") return h("p", { class: "hint" }, label("rankHint"));
    if (q.type === "text") return h("p", { class: "hint" }, label("textHint"));
    if (q.type === "number") {
      const words = rangeWords(q).map((w) => (w[1] === null ? w[0] : say(w[0], w[1])));
      return h("p", { class: "hint", testid: "number-hint" }, words);
    }
    return null;
  }

  function answerArea(q, options) {
    if (q.type === "text") return textArea(q);
    if (q.type === "number") return numberPad(q);
    return optionList(q, options);
  }

  function optionList(q, options) {
    const pictures = options.some((o) => pictureOf(o));
    let layout = "column";
    if (pictures) {
      layout = options.length === 3 || options.length > 4 ? "pics cols-3" : "pics";
    } else if (options.length > 6 && options.every((o) => o.label.length <= 3)) {
      layout = "grid";
    } else if ((q.type === "faces" || q.type === "yesno") && options.length <= 3)
      layout = "row";
    const kind = q.type === "faces" || q.type === "ranking" ? " " + q.type : "";
    return h(
      "div",
      { class: "opts " + layout + kind, role: "group", "aria-labelledby": "prompt" },
      options.map((opt) => optionCard(q, opt)),
    );
  }

  function optionCard(q, opt) {
    const picture = pictureOf(opt);
    return h(
      "button",
      {
        type: "button",
        class: "opt",
        testid: "option",
        "data-value": opt.value,
        "aria-pressed": "false",
        on: { click: () => pick(q, opt.value) },
      },
      [
        q.type === "ranking" ? h("span", { class: "rank", testid: "rank" }) : null,
        picture ? pictureImg(opt, picture) : emojiOf(opt),
        h("span", { class: "label" }, rubyText(opt.label, opt.ruby)),
      ],
    );
  }

  function emojiOf(opt) {
    return opt.emoji
      ? h("span", { class: "emoji", "aria-hidden": "true" }, opt.emoji)
      : null;
  }

  function pictureOf(opt) {
    return sameSite(opt.image);
  }

  function pictureImg(opt, src) {
    const img = h("img", {
      class: "pic",
      src: src,
      alt: opt.label,
      loading: "lazy",
      decoding: "async",
      width: "160",
      height: "120",
      draggable: "false",
    });
    // A picture that fails to load gives way to the emoji; the words stay.
    img.addEventListener("error", () => {
      const fallback = emojiOf(opt);
      if (fallback) img.replaceWith(fallback);
      else img.remove();
    });
    return img;
  }

  function textArea(q) {
    const area = h("textarea", {
      class: "text",
      testid: "text-answer",
      rows: "5",
      maxlength: "1000",
      autocomplete: "off",
      autocorrect: "off",
      autocapitalize: "off",
      spellcheck: "false",
      "aria-labelledby": "prompt",
    });
    const saved = child.answers[q.key];
    area.value = typeof saved === "string" ? saved : "";
    area.addEventListener("input", () => {
      const value = area.value.trim();
      if (value) child.answers[q.key] = value;
      else delete child.answers[q.key];
    });
    return area;
  }

  /* ---------- a number: − and + or the keypad, never out of range ---------- */

  function bounds(q) {
    const whole = (v) => (typeof v === "number" && Number.isInteger(v) ? v : null);
    return { low: whole(q.min), high: whole(q.max) };
  }

  function rangeWords(q) {
    const { low, high } = bounds(q);
    if (low !== null && high !== null)
      return [UI.from, [" " + low + " ", null], UI.to, [" " + high, null]];
    if (low !== null) return [UI.least, [" " + low, null]];
    if (high !== null) return [UI.most, [" " + high, null]];
    return [UI.numberHint];
  }

  function clamp(n, q) {
    const { low, high } = bounds(q);
    if (low !== null && n < low) return low;
    if (high !== null && n > high) return high;
    return n;
  }

  function numberPad(q) {
    const { low } = bounds(q);
    const negative = low === null || low < 0;
    const field = h("input", {
      type: "text",
      class: "number",
      testid: "number",
      inputmode: "numeric",
      pattern: negative ? "-?[0-9]*" : "[0-9]*",
      maxlength: String(MAX_DIGITS + 1),
      placeholder: "?",
      enterkeyhint: "done",
      autocomplete: "off",
      autocorrect: "off",
      autocapitalize: "off",
      spellcheck: "false",
      "aria-labelledby": "prompt",
    });
    const saved = child.answers[q.key];
    field.value = typeof saved === "number" ? String(saved) : "";
    field.setAttribute("data-last", field.value);
    field.addEventListener("input", () => typed(q, field));
    return h("div", { class: "numpad" }, [
      stepButton(q, -1, "minus", "−", "少一"),
      field,
      stepButton(q, 1, "plus", "+", "多一"),
    ]);
  }

  function stepButton(q, delta, testid, symbol, name) {
    return h(
      "button",
      {
        type: "button",
        class: "btn step",
        testid: testid,
        "aria-label": name,
        on: { click: () => step(q, delta) },
      },
      symbol,
    );
  }

  function step(q, delta) {
    if (!child) return;

    const current = child.answers[q.key];
    const base = typeof current === "number" ? current + delta : delta > 0 ? 1 : 0;
    setNumber(q, clamp(base, q));
  }

  function setNumber(q, n) {
    child.answers[q.key] = n;
    const field = app.querySelector("[data-testid=number]");
    field.value = String(n);
    field.setAttribute("data-last", field.value);
    refreshSelection(q);
  }

  function typed(q, field) {
    if (!child) return;

    const text = field.value
      .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
      .replace(/[－−]/g, "-")
      .replace(/\s/g, "");
    if (!reachable(q, text)) {
      field.value = field.getAttribute("data-last");
      return;
    }
    const n = /\d/.test(text) ? parseInt(text, 10) : NaN;
    field.value = Number.isNaN(n) || text === "-0" ? text : String(n);
    field.setAttribute("data-last", field.value);
    if (!Number.isNaN(n) && clamp(n, q) === n) child.answers[q.key] = n;
    else delete child.answers[q.key];
    refreshSelection(q);
  }

  function reachable(q, text) {
    if (text === "") return true;
    const match = /^(-?)(\d*)$/.exec(text);
    if (!match || match[2].length > MAX_DIGITS) return false;

    const { low, high } = bounds(q);
    const sign = match[1] ? -1 : 1;
    const lo = low === null ? -Infinity : low;
    const hi = high === null ? Infinity : high;
    if (!match[2]) return lo < 0;
    // Some whole number in range must start with what is typed so far.
    const head = parseInt(match[2], 10);
    for (let extra = 0; extra <= MAX_DIGITS - match[2].length; extra += 1) {
      const scale = Math.pow(10, extra);
      const a = sign * head * scale;
      const b = sign * (head * scale + scale - 1);
      if (Math.max(Math.min(a, b), lo) <= Math.min(Math.max(a, b), hi)) {
        return true;
      }
      if (head === 0) break;
    }
    return false;
  }

  /* ---------- moving on, choosing and ranking ---------- */

  function navBar() {
    const back = h(
      "button",
      { type: "button", class: "btn back", testid: "back", on: { click: goBack } },
      [arrow("◀"), label("back")],
    );
    if (prevIndex(child.index) < 0) {
      back.classList.add("invisible");
      back.disabled = true;
    }
    const next = h(
      "button",
      {
        type: "button",
        class: "btn primary next",
        testid: "next",
        on: { click: goNext },
      },
      [label("next"), arrow("▶")],
    );
    return h("div", { class: "nav" }, [back, next]);
  }

  function rankOrder(q) {
    const answer = child.answers[q.key];
    if (Array.isArray(answer)) return answer.slice();
    return (child.ranking[q.key] || []).slice();
  }

  function chosen(q) {
    if (q.type === "ranking") return rankOrder(q);
    const answer = child.answers[q.key];
    if (Array.isArray(answer)) return answer;
    return typeof answer === "string" ? [answer] : [];
  }

  function refreshSelection(q) {
    const picked = chosen(q);
    app.querySelectorAll("[data-testid=option]").forEach((card) => {
      const at = picked.indexOf(card.getAttribute("data-value"));
      card.setAttribute("aria-pressed", String(at >= 0));
      const rank = card.querySelector(".rank");
      if (rank) rank.textContent = at >= 0 ? String(at + 1) : "";
    });
    const answer = has(child.answers, q.key) ? child.answers[q.key] : undefined;
    app
      .querySelector("[data-testid=skip]")
      .setAttribute("aria-pressed", String(answer === null));
    if (q.type === "number") refreshSteps(q, answer);

    const next = app.querySelector("[data-testid=next]");
    if (q.type === "multi" || q.type === "ranking") {
      next.disabled = !Array.isArray(answer);
    } else if (q.type === "number") {
      next.disabled = typeof answer !== "number";
    } else if (q.type !== "text") {
      next.classList.toggle("invisible", typeof answer !== "string");
      next.disabled = typeof answer !== "string";
    }
  }

  function refreshSteps(q, answer) {
    const { low, high } = bounds(q);
    const set = typeof answer === "number";
    app.querySelector("[data-testid=minus]").disabled =
      set && low !== null && answer <= low;
    app.querySelector("[data-testid=plus]").disabled =
      set && high !== null && answer >= high;
  }

  function pick(q, value) {
    if (!child) return;

    if (q.type === "multi") {
      toggle(q, value);
    } else if (q.type === "ranking") {
      rank(q, value);
    } else {
      child.answers[q.key] = value;
      window.clearTimeout(advanceTimer);
      advanceTimer = later(goNext, ADVANCE_MS);
    }
    refreshSelection(q);
  }

  function toggle(q, value) {
    const current = Array.isArray(child.answers[q.key]) ? child.answers[q.key] : [];
    const adding = current.indexOf(value) < 0;
    const values = optionsOf(q)
      .map((o) => o.value)
      .filter((v) => (v === value ? adding : current.indexOf(v) >= 0));
    if (values.length) child.answers[q.key] = values;
    else delete child.answers[q.key];
  }

  function rank(q, value) {
    const order = rankOrder(q);
    const at = order.indexOf(value);
    if (at >= 0) order.splice(at, 1);
    else order.push(value);

    child.ranking[q.key] = order;
    // Only a whole order is an answer: a part of one is never sent.
    if (order.length === optionsOf(q).length) child.answers[q.key] = order.slice();
    else delete child.answers[q.key];
  }

  function skip(q) {
    if (!child) return;

    delete child.ranking[q.key];
    child.answers[q.key] = null;
    goNext();
  }

  function renderFinish() {
    child.index = questions.length;
    const button = h(
      "button",
      { type: "button", class: "btn primary finish", testid: "finish" },
      [icon("✅"), label("finish")],
    );
    button.addEventListener("click", () => finish(button));
    const back = h(
      "button",
      { type: "button", class: "btn back", testid: "back", on: { click: goBack } },
      [arrow("◀"), label("back")],
    );
    show("finish", [
      topBar(null, [UI.finishTitle[0], UI.finishHint[0]], null, true),
      h("div", { class: "hero", "aria-hidden": "true" }, "🎉"),
      h("h1", { class: "title", tabindex: "-1" }, label("finishTitle")),
      h("p", { class: "note" }, label("finishHint")),
      button,
      h("div", { class: "nav" }, [back]),
    ]);
  }

  function finish(button) {
    if (!child || child.finished) return;

    child.finished = true;
    button.disabled = true;
    const id = child.id;
    const answers = payload(child.answers);
    endChild();
    doneId = id;
    const durable = preview ? false : enqueue(id, answers);
    renderDone(id, durable);
  }

  function renderDone(id, durable) {
    const state = stateOf(id, durable);
    const link = preview ? null : sameSite(data.feedback_url);
    show("done", [
      topBar(
        null,
        [UI.doneTitle[0], UI[DONE_WORDS[state] || "saved"][0]],
        null,
        false,
      ),
      h("div", { class: "hero", "aria-hidden": "true" }, "🌟"),
      h("h1", { class: "title", tabindex: "-1" }, label("doneTitle")),
      h(
        "p",
        { class: "status", testid: "status", role: "status", "data-state": state },
        statusWords(state),
      ),
      link
        ? h("a", { class: "btn link", href: link, testid: "feedback" }, [
            icon("📣"),
            label("feedback"),
          ])
        : null,
      h(
        "button",
        {
          type: "button",
          class: "btn primary",
          testid: "next-child",
          on: { click: resetKiosk },
        },
        [label("nextChild"), arrow("▶")],
      ),
    ]);
    app.firstChild.setAttribute("data-durable", String(durable));
    later(resetKiosk, DONE_SECONDS * 1000);
  }

  function statusWords(state) {
    if (state === "preview") return [icon("👀"), label("previewDone")];
    if (state === "sent") return [icon("✅"), label("sent")];
    if (state === "sending") return [icon("⏳"), label("sending")];
    return [icon("💾"), label("saved")];
  }

  function updateDoneStatus() {
    const status = doneId && app.querySelector("[data-testid=status]");
    if (!status) return;

    const durable = app.firstChild.getAttribute("data-durable") === "true";
    const state = stateOf(doneId, durable);
    if (status.getAttribute("data-state") === state) return;
    status.setAttribute("data-state", state);
    status.textContent = "";
    append(status, statusWords(state));
  }

  function sameSite(url) {
    return typeof url === "string" && SAME_SITE.test(url) ? url : null;
  }

  /* ---------- stopping, idling and forgetting the child ---------- */

  function openOverlay(name, children) {
    closeOverlay();
    overlay = h("div", { class: "overlay", testid: name }, [
      h("div", { class: "dialog", role: "dialog", "aria-modal": "true" }, children),
    ]);
    document.body.appendChild(overlay);
    overlay.querySelector("button").focus({ preventScroll: true });
  }

  function closeOverlay() {
    if (overlay && overlay.parentNode) overlay.parentNode.removeChild(overlay);
    overlay = null;
  }

  function askStop() {
    if (!child) return;

    window.clearTimeout(advanceTimer);
    const anything = Object.keys(payload(child.answers)).length > 0;
    openOverlay("stop-dialog", [
      h("h2", null, label("stopTitle")),
      h("p", null, label(anything ? "stopKeep" : "stopNothing")),
      h("div", { class: "choices" }, [
        h(
          "button",
          {
            type: "button",
            class: "btn",
            testid: "stop-no",
            on: { click: closeOverlay },
          },
          label("stopNo"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "btn",
            testid: "stop-yes",
            on: { click: stopSurvey },
          },
          label("stop"),
        ),
      ]),
    ]);
  }

  function stopSurvey() {
    if (child && !child.finished) {
      const answers = payload(child.answers);
      child.finished = true;
      if (Object.keys(answers).length && !preview) enqueue(child.id, answers);
    }
    resetKiosk();
  }

  function armIdle() {
    disarmIdle();
    if (!child) return;

    const seconds = Number(data.idle_seconds) > 0 ? Number(data.idle_seconds) : 120;
    idle.timer = window.setTimeout(warnIdle, seconds * 1000);
  }

  function disarmIdle() {
    window.clearTimeout(idle.timer);
    window.clearInterval(idle.tick);
    idle.timer = 0;
    idle.tick = 0;
  }

  function onActivity() {
    if (child && !idle.tick) armIdle();
  }

  function warnIdle() {
    window.clearTimeout(advanceTimer);
    idle.left = WARN_SECONDS;
    const count = h(
      "span",
      { class: "count", testid: "idle-count" },
      String(idle.left),
    );
    openOverlay("idle-dialog", [
      h("h2", null, label("idleTitle")),
      h("p", null, [count, " ", label("idleHint")]),
      h(
        "button",
        {
          type: "button",
          class: "btn primary",
          testid: "still-here",
          on: { click: stillHere },
        },
        [icon("🙋"), label("stillHere")],
      ),
    ]);
    idle.tick = window.setInterval(() => {
      idle.left -= 1;
      count.textContent = String(Math.max(idle.left, 0));
      if (idle.left <= 0) resetKiosk();
    }, 1000);
  }

  function stillHere() {
    disarmIdle();
    closeOverlay();
    armIdle();
  }

  function endChild() {
    child = null;
    window.clearTimeout(advanceTimer);
    disarmIdle();
  }

  function resetKiosk() {
    endChild();
    doneId = null;
    closeOverlay();
    history.replaceState(history.state, "", cleanUrl());
    renderStart();
  }

  function cleanUrl() {
    return window.location.pathname + window.location.search;
  }

  function onHistoryBack() {
    if (!child) return;

    goBack();
    history.pushState({ kiosk: "survey" }, "", cleanUrl());
  }

  /* ---------- start ---------- */

  function boot() {
    const state =
      history.state && history.state.kiosk ? history.state : { kiosk: "base" };
    history.replaceState(state, "", cleanUrl());
    ["pointerdown", "keydown", "input", "touchstart"].forEach((type) => {
      document.addEventListener(type, onActivity, { capture: true, passive: true });
    });
    window.addEventListener("popstate", onHistoryBack);
    window.addEventListener("pagehide", resetKiosk);
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) resetKiosk();
      flush();
    });
    window.addEventListener("online", () => {
      sender.tries = 0;
      flush();
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") flush();
    });
    window.addEventListener("storage", updateIndicator);

    watchVoices();
    renderStart();
    updateIndicator();
  }

  boot();
})();
