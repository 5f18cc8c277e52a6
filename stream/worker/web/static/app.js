// The newsroom page. Plain DOM: every piece of publisher data goes in through textContent or an
// attribute set by the DOM API, never through HTML parsing; links open only http(s) URLs.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    filters: { tag: "", source: "", time: "" },
    stories: [],
    cursor: null,
    view: null, // {kind: "story"|"article", id}
    selectedTag: null,
  };

  // -- small helpers -----------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function safeUrl(raw) {
    if (typeof raw !== "string") return null;
    try {
      const url = new URL(raw);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function when(iso, withTime) {
    if (!iso) return "undated";
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    const opts = withTime
      ? { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "UTC" }
      : { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" };
    return d.toLocaleString("en-GB", opts) + (withTime ? " UTC" : "");
  }

  function span(first, last) {
    const a = when(first), b = when(last);
    return a === b ? a : a + " – " + b;
  }

  function ago(iso) {
    const t = Date.parse(iso);
    if (isNaN(t)) return "";
    const s = Math.max(0, (Date.now() - t) / 1000);
    if (s < 60) return "just now";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }

  function kindOf(tag) {
    if (tag.startsWith("region:") || tag.startsWith("place:")) return "place";
    if (tag.startsWith("topic:")) return "topic";
    if (tag.startsWith("entity:person/")) return "person";
    if (tag.startsWith("entity:")) return "org";
    return "other";
  }

  function labelOf(tag, labels) {
    if (labels && labels[tag]) return labels[tag];
    const rest = tag.includes(":") ? tag.slice(tag.indexOf(":") + 1) : tag;
    return rest.split("/").pop().replace(/-/g, " ");
  }

  async function getJSON(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    return response.json();
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
    const s = q.toString();
    return s ? "?" + s : "";
  }

  // -- stories list ------------------------------------------------------------------------------
  function listParams(cursor) {
    const f = state.filters;
    const params = { limit: 30, tag: f.tag, source: f.source, cursor: cursor };
    if (f.time) params.since = new Date(Date.now() - Number(f.time) * 3600e3).toISOString().replace(/\.\d+Z$/, "Z");
    return params;
  }

  function chip(tag, label, opts, count) {
    const o = opts || {};
    return el(o.button ? "button" : "span", {
      class: "chip " + kindOf(tag) + (o.extra ? " " + o.extra : ""),
      type: o.button ? "button" : null,
      title: tag,
      "data-tag": tag,
      onclick: o.onclick || null,
    }, label, o.score !== undefined ? el("span", { class: "score", text: Math.round(o.score * 100) }) : null,
      count !== undefined ? el("span", { class: "score", text: count }) : null);
  }

  function storyCard(story, fresh) {
    const facets = [...story.places.slice(0, 3), ...story.people.slice(0, 2), ...story.topics.slice(0, 2)];
    const headline = story.headline;
    const title = story.title || (headline && headline.title) || "(untitled)";
    const active = state.view && state.view.kind === "story" && state.view.id === story.story_id;
    return el("li", { class: "story" + (fresh ? " fresh" : "") + (active ? " active" : ""), "data-story": story.story_id },
      el("a", { class: "story-link", href: "#/story/" + encodeURIComponent(story.story_id) },
        el("span", { class: "story-title", text: title }),
        el("span", { class: "meta" },
          el("span", { class: "count", text: story.size + (story.size === 1 ? " article" : " articles") }),
          el("span", { text: span(story.first_seen, story.last_seen) }),
          story.sources.length ? el("span", { class: "sources", text: story.sources.slice(0, 3).join(", ") + (story.sources.length > 3 ? " +" + (story.sources.length - 3) : "") }) : null,
        ),
      ),
      facets.length ? el("div", { class: "chips" }, facets.map((f) => chip(f.tag, f.label, {
        button: true,
        onclick: (e) => { e.preventDefault(); setFilter("tag", f.tag); },
      }))) : null,
    );
  }

  let knownUpdates = new Map();
  function renderStories(freshCheck) {
    const list = $("stories");
    const seen = new Map();
    list.replaceChildren(...state.stories.map((s) => {
      const prev = knownUpdates.get(s.story_id);
      seen.set(s.story_id, s.updated_at);
      return storyCard(s, freshCheck && knownUpdates.size > 0 && prev !== s.updated_at);
    }));
    knownUpdates = seen;
    $("empty").hidden = state.stories.length > 0;
    $("empty").textContent = anyFilter()
      ? "No story matches these filters."
      : "No stories yet. Publish articles to articles.raw and they appear here as they are enriched.";
    $("more").hidden = !state.cursor;
  }

  function anyFilter() {
    const f = state.filters;
    return Boolean(f.tag || f.source || f.time);
  }

  let listToken = 0;
  async function loadStories(fresh) {
    const token = ++listToken;
    const page = await getJSON("/newsroom/stories" + query(listParams(null)));
    if (token !== listToken || !page) return;
    state.stories = page.stories;
    state.cursor = page.next_cursor;
    renderStories(fresh);
  }

  async function moreStories() {
    if (!state.cursor) return;
    const page = await getJSON("/newsroom/stories" + query(listParams(state.cursor)));
    if (!page) return;
    state.stories = state.stories.concat(page.stories);
    state.cursor = page.next_cursor;
    renderStories(false);
  }

  async function loadFacets() {
    const facets = await getJSON("/newsroom/facets?limit=100");
    if (!facets) return;
    state.facets = facets;
    if (!state.view) showPlaceholder();
    $("stats").textContent = facets.stories + " stories · " + facets.articles + " articles";
    $("tag-options").replaceChildren(...facets.tags.map((t) => el("option", { value: t.tag, text: (t.label || "") + " (" + t.count + ")" })));
    const select = $("f-source");
    const current = state.filters.source;
    select.replaceChildren(el("option", { value: "", text: "All sources" }),
      ...facets.sources.map((s) => el("option", { value: s.source, text: s.source + " (" + s.count + ")" })));
    if (current && !facets.sources.some((s) => s.source === current)) select.append(el("option", { value: current, text: current }));
    select.value = current;
  }

  function setFilter(name, value) {
    state.filters[name] = value;
    $("f-" + name).value = value;
    syncClear();
    loadStories(false).catch(showError);
  }

  function syncClear() {
    $("f-clear").hidden = !anyFilter();
  }

  // -- detail: a story ---------------------------------------------------------------------------
  function showPlaceholder() {
    document.body.classList.remove("showing-detail");
    const f = state.facets;
    const parts = [el("div", { class: "placeholder" },
      el("h2", { text: "Pick a story" }),
      el("p", { text: "Each story groups the articles that share specific places, people and topics. Open an article to see the text behind every tag, and why it is related to the others." }))];
    if (f && f.tags.length) {
      const groups = [["Places", "place"], ["People", "person"], ["Organizations", "org"], ["Topics", "topic"]];
      parts.push(el("section", { class: "overview" },
        el("h2", { class: "section", text: "Most mentioned now" }),
        el("dl", { class: "facets" }, groups.map(([name, kind]) => {
          const tags = f.tags.filter((t) => kindOf(t.tag) === kind).slice(0, 10);
          return tags.length ? [el("dt", { text: name }), el("dd", {}, el("div", { class: "chips" }, tags.map((t) =>
            chip(t.tag, t.label || labelOf(t.tag), { button: true, onclick: () => setFilter("tag", t.tag), extra: "counted" }, t.count))))] : [];
        })),
        f.sources.length ? el("h2", { class: "section", text: "Sources" }) : null,
        f.sources.length ? el("div", { class: "chips" }, f.sources.slice(0, 20).map((src) =>
          el("button", { type: "button", class: "chip", onclick: () => setFilter("source", src.source) }, src.source, el("span", { class: "score", text: src.count })))) : null));
    }
    $("detail").replaceChildren(...parts);
  }

  function back() {
    return el("a", { class: "back", href: "#/" }, "← Stories");
  }

  async function showStory(id) {
    const story = await getJSON("/newsroom/stories/" + encodeURIComponent(id) + "?limit=500");
    if (!isCurrent("story", id)) return;
    const pane = $("detail");
    if (!story) {
      pane.replaceChildren(back(), el("div", { class: "notice", text: "This story is not held here (it may have aged out)." }));
      return;
    }
    const parts = [back()];
    if (story.merged_into) {
      parts.push(el("div", { class: "notice merged" }, "This story was merged into ",
        el("a", { href: "#/story/" + encodeURIComponent(story.merged_into), text: story.title || story.merged_into }), "."));
    }
    if (story.title !== undefined) {
      parts.push(
        el("p", { class: "kicker", text: "Story" }),
        el("h1", { class: "title", text: story.title || "(untitled)" }),
        el("p", { class: "meta" },
          el("span", { class: "count", text: story.size + (story.size === 1 ? " article" : " articles") }),
          el("span", { text: span(story.first_seen, story.last_seen) }),
          story.updated_at ? el("span", { text: "updated " + ago(story.updated_at) }) : null),
        facetBlock(story),
      );
    }
    if (story.merged_from && story.merged_from.length) {
      parts.push(el("p", { class: "muted", text: "Joined by " + story.merged_from.length + (story.merged_from.length === 1 ? " story" : " stories") + " that turned out to be the same." }));
    }
    parts.push(el("h2", { class: "section", text: "Articles in time order" }));
    parts.push(el("ol", { class: "timeline" }, story.articles.map((a) => el("li", { class: a.duplicate_of ? "dup" : null },
      el("time", { datetime: a.published_at || "", text: when(a.published_at, true) }),
      el("a", { href: "#/article/" + encodeURIComponent(a.id), text: a.title || "(untitled)" }),
      el("span", { class: "meta" }, a.source ? el("span", { text: a.source }) : null,
        a.duplicate_of ? el("span", { class: "badge dup", text: "duplicate" }) : null,
        a.revision > 1 ? el("span", { class: "badge", text: "rev " + a.revision }) : null),
    ))));
    const missing = story.size - story.held;
    if (missing > 0) parts.push(el("p", { class: "muted", text: missing === 1 ? "One more article of this story is not held by the page (aged out, or a re-send)." : missing + " more articles of this story are not held by the page (aged out, or re-sends)." }));
    pane.replaceChildren(...parts);
  }

  function facetBlock(story) {
    const rows = [["Places", story.places], ["People", story.people], ["Topics", story.topics]].filter(([, v]) => v && v.length);
    return el("dl", { class: "facets" }, rows.map(([name, items]) => [
      el("dt", { text: name }),
      el("dd", {}, el("div", { class: "chips" }, items.map((f) => chip(f.tag, f.label, { button: true, onclick: () => setFilter("tag", f.tag) })))),
    ]));
  }

  // -- detail: an article ------------------------------------------------------------------------
  // Evidence offsets count code points (Python); JavaScript strings count UTF-16 units, so the text
  // is cut by code points.
  function highlighted(text, spans, field) {
    const chars = Array.from(text || "");
    const mine = spans.filter((s) => s.field === field && s.start < s.end && s.end <= chars.length);
    const cuts = new Set([0, chars.length]);
    for (const s of mine) { cuts.add(s.start); cuts.add(s.end); }
    const points = [...cuts].sort((a, b) => a - b);
    const nodes = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i], b = points[i + 1];
      const piece = chars.slice(a, b).join("");
      const tags = [...new Set(mine.filter((s) => s.start <= a && s.end >= b).map((s) => s.tag))];
      if (!tags.length) { nodes.push(document.createTextNode(piece)); continue; }
      const mark = el("mark", { class: "ev " + tags.map(kindOf).join(" "), "data-tags": tags.join(" "), title: tags.join("\n"), text: piece });
      nodes.push(mark);
    }
    return nodes;
  }

  function selectTag(tag) {
    state.selectedTag = state.selectedTag === tag ? null : tag;
    applySelection(true);
  }

  function applySelection(scroll) {
    const tag = state.selectedTag;
    let first = null;
    for (const mark of document.querySelectorAll("#detail mark.ev")) {
      const on = Boolean(tag) && mark.dataset.tags.split(" ").includes(tag);
      mark.classList.toggle("on", on);
      if (on && !first) first = mark;
    }
    for (const c of document.querySelectorAll("#detail .tags .chip")) {
      c.classList.toggle("selected", c.dataset.tag === tag);
      c.setAttribute("aria-pressed", c.dataset.tag === tag ? "true" : "false");
    }
    const note = document.querySelector("#detail .selection");
    if (note) {
      const n = tag ? document.querySelectorAll("#detail mark.ev.on").length : 0;
      note.textContent = tag ? (n ? n + (n === 1 ? " passage" : " passages") + " gave " + tag : "No passage in the text gave " + tag + " (it comes from the metadata)") : "Select a tag to mark the text behind it.";
    }
    if (scroll && first) first.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function hoverTag(tag, on) {
    for (const mark of document.querySelectorAll("#detail mark.ev")) {
      if (mark.dataset.tags.split(" ").includes(tag)) mark.classList.toggle("hover", on);
    }
  }

  function tagGroup(name, items) {
    if (!items || !items.length) return null;
    return el("div", { class: "tag-group" },
      el("h3", { text: name }),
      el("div", { class: "chips" }, items.map((item) => {
        const c = chip(item.tag, item.label, { button: true, score: item.score, extra: item.primary ? "primary" : "", onclick: () => selectTag(item.tag) });
        c.setAttribute("aria-pressed", "false");
        c.addEventListener("mouseenter", () => hoverTag(item.tag, true));
        c.addEventListener("mouseleave", () => hoverTag(item.tag, false));
        c.addEventListener("focus", () => hoverTag(item.tag, true));
        c.addEventListener("blur", () => hoverTag(item.tag, false));
        return c;
      })));
  }

  async function showArticle(id) {
    const a = await getJSON("/newsroom/articles/" + encodeURIComponent(id));
    if (!isCurrent("article", id)) return;
    const pane = $("detail");
    if (!a) {
      pane.replaceChildren(back(), el("div", { class: "notice", text: "This article is not held here (it may have aged out)." }));
      return;
    }
    const items = [...(a.topics || []), ...(a.regions || []), ...(a.entities || [])];
    const spans = [];
    for (const item of items) for (const ev of item.evidence || []) spans.push({ tag: item.tag, field: ev.field, start: ev.start, end: ev.end });
    const url = safeUrl(a.url);
    const people = (a.entities || []).filter((e) => e.tag.startsWith("entity:person/"));
    const others = (a.entities || []).filter((e) => !e.tag.startsWith("entity:person/"));
    const parts = [back()];
    if (a.story_id) parts.push(el("a", { class: "kicker link", href: "#/story/" + encodeURIComponent(a.story_id), text: "Story ›" }));
    parts.push(el("h1", { class: "title" }, highlighted(a.title, spans, "title")));
    parts.push(el("p", { class: "meta" },
      a.source ? el("span", { class: "source", text: a.source }) : null,
      el("time", { datetime: a.published_at || "", text: when(a.published_at, true) }),
      a.authors && a.authors.length ? el("span", { text: "by " + a.authors.join(", ") }) : null,
      a.revision > 1 ? el("span", { class: "badge", text: "revision " + a.revision }) : null,
      url ? el("a", { href: url, rel: "noopener noreferrer nofollow", target: "_blank", class: "external", text: "original ↗" }) : null));
    if (a.duplicate_of) {
      parts.push(el("div", { class: "notice dup" }, "Duplicate of ",
        el("a", { href: "#/article/" + encodeURIComponent(a.duplicate_of), text: "an earlier article" }),
        a.duplicate_similarity != null ? " (similarity " + Math.round(a.duplicate_similarity * 100) + "%)" : "", "."));
    }
    if (a.duplicates && a.duplicates.length) {
      parts.push(el("div", { class: "notice" }, a.duplicates.length + (a.duplicates.length === 1 ? " later copy" : " later copies") + " of this article: ",
        a.duplicates.map((d, i) => [i ? ", " : "", el("a", { href: "#/article/" + encodeURIComponent(d), text: "copy " + (i + 1) })])));
    }
    const tags = el("div", { class: "tags" },
      tagGroup("Places", a.regions), tagGroup("People", people), tagGroup("Organizations", others), tagGroup("Topics", a.topics),
      el("p", { class: "selection muted", "aria-live": "polite" }));
    const body = el("div", { class: "body", lang: a.language || null }, highlighted(a.body, spans, "body"));
    const related = el("section", { class: "related" },
      el("h2", { class: "section", text: "Related articles" }),
      a.related && a.related.length
        ? el("ol", {}, a.related.map((r) => el("li", { class: r.duplicate_of ? "dup" : null },
          el("div", { class: "rel-head" },
            el("span", { class: "scorebar", title: "score " + r.score.toFixed(2) }, el("span", { style: null, class: "fill", "data-w": Math.round(r.score * 100) })),
            el("span", { class: "rel-score", text: r.score.toFixed(2) }),
            r.held ? el("a", { href: "#/article/" + encodeURIComponent(r.id), text: r.title || r.id }) : el("span", { text: r.title || r.id }),
            r.duplicate_of ? el("span", { class: "badge dup", text: "duplicate" }) : null),
          el("div", { class: "meta" }, r.source ? el("span", { text: r.source }) : null, r.published_at ? el("span", { text: when(r.published_at) }) : null),
          el("div", { class: "chips small" }, el("span", { class: "why", text: "shares" }), r.shared_tags.map((t) => chip(t, labelOf(t, a.labels)))),
        )))
        : el("p", { class: "muted", text: "No related article in the window." }));
    parts.push(el("div", { class: "article-grid" }, el("div", { class: "article-main" }, body), el("aside", { class: "article-side" }, tags, related)));
    pane.replaceChildren(...parts);
    // Widths through the CSSOM: a style attribute would be inline style, which the policy forbids.
    for (const fill of pane.querySelectorAll(".fill")) fill.style.width = fill.dataset.w + "%";
    if (state.selectedTag && !items.some((i) => i.tag === state.selectedTag)) state.selectedTag = null;
    applySelection(false);
  }

  // -- routing -----------------------------------------------------------------------------------
  function isCurrent(kind, id) {
    return state.view && state.view.kind === kind && state.view.id === id;
  }

  function route() {
    const m = location.hash.match(/^#\/(story|article)\/(.+)$/);
    if (!m) {
      state.view = null;
      showPlaceholder();
      markActive();
      return;
    }
    let id;
    try { id = decodeURIComponent(m[2]); } catch (e) { id = m[2]; }
    state.view = { kind: m[1], id: id };
    document.body.classList.add("showing-detail");
    markActive();
    const load = m[1] === "story" ? showStory(id) : showArticle(id);
    load.then(() => { if (window.innerWidth < 900) window.scrollTo(0, 0); }).catch(showError);
  }

  function markActive() {
    for (const li of document.querySelectorAll("#stories .story")) {
      li.classList.toggle("active", Boolean(state.view && state.view.kind === "story" && li.dataset.story === state.view.id));
    }
  }

  function refreshDetail(data) {
    if (!state.view) return;
    const v = state.view;
    if (v.kind === "story" && (!data || data.story_id === v.id || data.merged_into === v.id)) showStory(v.id).catch(showError);
    if (v.kind === "article" && (!data || data.id === v.id)) showArticle(v.id).catch(showError);
  }

  function showError(err) {
    console.warn(err);
    setLive("error", "can't reach the worker");
  }

  // -- live updates ------------------------------------------------------------------------------
  function setLive(s, text) {
    $("live").dataset.state = s;
    $("live-text").textContent = text;
  }

  let pending = null;
  function soon() {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      loadStories(true).catch(showError);
      loadFacets().catch(showError);
    }, 150);
  }

  function connect() {
    if (!window.EventSource) { setLive("error", "no live updates in this browser"); return; }
    const source = new EventSource("/events");
    // On every (re)connection: what was emitted before it is not replayed to a new client, so reload.
    source.addEventListener("open", () => { setLive("live", "live"); soon(); });
    source.addEventListener("error", () => setLive("connecting", "reconnecting…"));
    const onData = (e) => {
      let data = null;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      soon();
      refreshDetail(data);
    };
    source.addEventListener("article", onData);
    source.addEventListener("story", onData);
    source.addEventListener("reset", () => { soon(); refreshDetail(null); });
  }

  // -- start -------------------------------------------------------------------------------------
  function start() {
    $("f-tag").addEventListener("change", (e) => setFilter("tag", e.target.value.trim()));
    $("f-source").addEventListener("change", (e) => setFilter("source", e.target.value));
    $("f-time").addEventListener("change", (e) => setFilter("time", e.target.value));
    $("filters").addEventListener("submit", (e) => { e.preventDefault(); setFilter("tag", $("f-tag").value.trim()); });
    $("f-clear").addEventListener("click", () => {
      for (const k of Object.keys(state.filters)) { state.filters[k] = ""; $("f-" + k).value = ""; }
      syncClear();
      loadStories(false).catch(showError);
    });
    $("more").addEventListener("click", () => moreStories().catch(showError));
    window.addEventListener("hashchange", route);
    loadStories(false).catch(showError);
    loadFacets().catch(showError);
    route();
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
