// xraysink trace viewer: the trace list, one trace's waterfall, the service map and the
// datagrams X-Ray would reject. Every document is untrusted: the page is built with
// createElement and textContent only, never from markup strings.
(function () {
  "use strict";

  const POLL_MS = 1000;
  const SVG = "http://www.w3.org/2000/svg";
  const FLAGS = ["error", "fault", "throttle"];
  const ENTITY_SECTIONS = ["http", "aws", "sql", "annotations", "metadata", "cause"];
  const OVERVIEW_FIELDS = [
    "name", "id", "trace_id", "parent_id", "type", "start_time", "end_time", "in_progress",
    "namespace", "origin", "error", "fault", "throttle",
  ];

  // Where the data comes from: the listener's JSON API, or the data written into the
  // page by `xraysink listen --html`.
  const embedded = document.getElementById("xraysink-data");
  const snapshot = embedded ? JSON.parse(embedded.textContent) : null;
  const source = snapshot ? snapshotSource(snapshot) : liveSource();

  function snapshotSource(data) {
    const details = new Map(data.details.map((w) => [w.trace_id, w]));
    return {
      live: false,
      status: () => Promise.resolve(data.stats),
      traces: () => Promise.resolve({ stats: data.stats, traces: data.traces }),
      trace: (id) => Promise.resolve(details.has(id) ? details.get(id) : null),
      map: () => Promise.resolve(data.map),
      rejected: () => Promise.resolve({ stats: data.stats, rejected: data.rejected }),
    };
  }

  function liveSource() {
    const get = (path) =>
      fetch(path, { cache: "no-store" }).then((response) => {
        if (response.status === 404) return null;
        if (!response.ok) throw new Error(path + ": HTTP " + response.status);
        return response.json();
      });
    return {
      live: true,
      status: () => get("api/status"),
      traces: () => get("api/traces"),
      trace: (id) => get("api/trace/" + encodeURIComponent(id)),
      map: () => get("api/map"),
      rejected: () => get("api/invalid"),
    };
  }

  // ---- DOM helpers: text only ----

  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    append(node, children);
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "object" ? child : document.createTextNode(String(child)));
    }
  }

  function text(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function pad(number, width) {
    return String(number).padStart(width, "0");
  }

  function formatTime(epochSeconds) {
    if (typeof epochSeconds !== "number") return "";
    const d = new Date(epochSeconds * 1000);
    return (
      d.getFullYear() + "-" + pad(d.getMonth() + 1, 2) + "-" + pad(d.getDate(), 2) + " " +
      pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2) +
      "." + pad(d.getMilliseconds(), 3)
    );
  }

  function formatMs(ms) {
    if (typeof ms !== "number") return "";
    if (ms === 0) return "0 ms";
    if (ms < 1) return ms.toFixed(3) + " ms";
    if (ms < 1000) return ms.toFixed(1) + " ms";
    return (ms / 1000).toFixed(2) + " s";
  }

  function plural(count, noun) {
    return count + " " + noun + (count === 1 ? "" : "s");
  }

  function percent(part, whole) {
    return whole ? Math.round((100 * part) / whole) + "%" : "0%";
  }

  // One class per item: a fault outranks a throttle, which outranks an error.
  function worst(fault, throttle, error) {
    if (fault) return "fault";
    if (throttle) return "throttle";
    if (error) return "error";
    return "ok";
  }

  function health(item) {
    return worst(item.fault, item.throttle, item.error);
  }

  function tallyHealth(tally) {
    return worst(tally.faults, tally.throttles, tally.errors);
  }

  // Focusable, and opened by a click or by Enter.
  function opensOnActivate(element, hash) {
    element.tabIndex = 0;
    const open = () => { location.hash = hash; };
    element.addEventListener("click", open);
    element.addEventListener("keydown", (event) => { if (event.key === "Enter") open(); });
  }

  function documentJson(value) {
    return el("details", "raw", el("summary", null, "document JSON"), el("pre", null, JSON.stringify(value, null, 2)));
  }

  function flagBadges(item) {
    const span = el("span", "flags");
    for (const flag of FLAGS) if (item[flag]) span.append(el("span", "badge " + flag, flag));
    if (item.in_progress) span.append(el("span", "badge in-progress", "in progress"));
    return span;
  }

  // ---- Filter expressions (a subset of X-Ray's) ----

  const TOKEN =
    /\s*(?:(\(|\)|,)|(!=|<=|>=|=|<|>|!)|"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.])|([A-Za-z_][\w.:\-\/@]*))/y;
  const COMPARISONS = new Set(["=", "!=", "<", "<=", ">", ">=", "contains", "beginswith", "endswith"]);
  const FIELD_READERS = {
    "http.status": (t) => [t.status],
    "http.method": (t) => [t.method],
    "http.url": (t) => [t.url],
    "duration": (t) => [typeof t.duration_ms === "number" ? t.duration_ms / 1000 : null],
    "responsetime": (t) => [typeof t.response_ms === "number" ? t.response_ms / 1000 : null],
    "name": (t) => t.names,
    "service": (t) => t.services,
    "id": (t) => [t.trace_id],
  };

  function tokenize(input) {
    const tokens = [];
    TOKEN.lastIndex = 0;
    let at = 0;
    while (at < input.length) {
      if (/^\s*$/.test(input.slice(at))) break;
      TOKEN.lastIndex = at;
      const m = TOKEN.exec(input);
      if (!m) throw new Error("cannot read the filter at " + JSON.stringify(input.slice(at, at + 12)));
      at = TOKEN.lastIndex;
      if (m[1]) tokens.push({ kind: m[1] });
      else if (m[2]) tokens.push({ kind: "op", value: m[2] });
      else if (m[3] !== undefined) tokens.push({ kind: "value", value: m[3].replace(/\\(.)/g, "$1") });
      else if (m[4] !== undefined) tokens.push({ kind: "value", value: Number(m[4]) });
      else tokens.push({ kind: "word", value: m[5] });
    }
    return tokens;
  }

  // Returns a predicate over trace summaries; throws Error with a message for bad input.
  function parseFilter(input) {
    const tokens = tokenize(input);
    let i = 0;
    const peek = () => tokens[i];
    const isWord = (token, word) => token && token.kind === "word" && token.value.toLowerCase() === word;
    const expect = (kind) => {
      const token = tokens[i++];
      if (!token || token.kind !== kind) throw new Error("expected " + JSON.stringify(kind));
      return token;
    };

    function orExpr() {
      let left = andExpr();
      while (isWord(peek(), "or")) {
        i++;
        const a = left, b = andExpr();
        left = (t) => a(t) || b(t);
      }
      return left;
    }
    function andExpr() {
      let left = notExpr();
      while (isWord(peek(), "and")) {
        i++;
        const a = left, b = notExpr();
        left = (t) => a(t) && b(t);
      }
      return left;
    }
    function notExpr() {
      const token = peek();
      if ((token && token.kind === "op" && token.value === "!") || isWord(token, "not")) {
        i++;
        const inner = notExpr();
        return (t) => !inner(t);
      }
      return primary();
    }
    function primary() {
      const token = tokens[i++];
      if (!token) throw new Error("the filter ends too early");
      if (token.kind === "(") {
        const inner = orExpr();
        expect(")");
        return inner;
      }
      if (token.kind !== "word") throw new Error("unexpected " + text(token.value || token.kind));
      const word = token.value.toLowerCase();
      const next = peek();
      const comparing = next && (next.kind === "op" || (next.kind === "word" && COMPARISONS.has(next.value.toLowerCase())));
      if (!comparing) {
        if (word === "ok") return (t) => health(t) === "ok";
        if (FLAGS.includes(word)) return (t) => Boolean(t[word]);
        if (word === "service" && next && next.kind === "(") {
          i++;
          const name = expect("value").value;
          expect(")");
          return (t) => t.services.includes(String(name));
        }
        throw new Error("unknown keyword " + JSON.stringify(token.value));
      }
      const op = tokens[i++].value.toLowerCase();
      if (!COMPARISONS.has(op)) throw new Error("unknown operator " + JSON.stringify(op));
      const valueToken = tokens[i++];
      if (!valueToken || (valueToken.kind !== "value" && valueToken.kind !== "word")) {
        throw new Error("a value must follow " + op);
      }
      const expected = valueToken.value;
      const bare = valueToken.kind === "word";
      let read;
      if (word.startsWith("annotation.")) {
        const key = token.value.slice("annotation.".length);
        read = (t) => (Object.prototype.hasOwnProperty.call(t.annotations, key) ? t.annotations[key] : []);
      } else if (Object.prototype.hasOwnProperty.call(FIELD_READERS, word)) {
        read = FIELD_READERS[word];
      } else {
        throw new Error("unknown field " + JSON.stringify(token.value));
      }
      return (t) => read(t).some((actual) => compare(actual, op, expected, bare));
    }

    if (!tokens.length) return () => true;
    const predicate = orExpr();
    if (i < tokens.length) throw new Error("unexpected " + text(tokens[i].value || tokens[i].kind));
    return predicate;
  }

  function compare(actual, op, expected, bare) {
    if (typeof actual === "boolean") {
      const want = bare && (expected === "true" || expected === "false") ? expected === "true" : expected;
      if (typeof want !== "boolean") return false;
      return op === "=" ? actual === want : op === "!=" ? actual !== want : false;
    }
    if (typeof actual === "number") {
      if (typeof expected !== "number") return false;
      switch (op) {
        case "=": return actual === expected;
        case "!=": return actual !== expected;
        case "<": return actual < expected;
        case "<=": return actual <= expected;
        case ">": return actual > expected;
        case ">=": return actual >= expected;
        default: return false;
      }
    }
    if (typeof actual === "string") {
      if (typeof expected !== "string") return false;
      switch (op) {
        case "=": return actual === expected;
        case "!=": return actual !== expected;
        case "contains": return actual.includes(expected);
        case "beginswith": return actual.startsWith(expected);
        case "endswith": return actual.endsWith(expected);
        default: return false;
      }
    }
    return false;
  }

  // ---- State and routing ----

  const state = {
    filters: { name: "", status: "all", expression: "" },
    version: null,
    route: null,
    refresh: null,
  };
  const view = document.getElementById("view");

  function parseRoute() {
    const parts = location.hash.replace(/^#\/?/, "").split("/").map((p) => {
      try {
        return decodeURIComponent(p);
      } catch (e) {
        return p;
      }
    });
    if (parts[0] === "trace" && parts[1]) return { view: "trace", traceId: parts[1], entityId: parts[2] || null };
    if (parts[0] === "map" || parts[0] === "invalid") return { view: parts[0] };
    return { view: "traces" };
  }

  function traceHash(traceId, entityId) {
    return "#/trace/" + encodeURIComponent(traceId) + (entityId ? "/" + encodeURIComponent(entityId) : "");
  }

  function route() {
    const next = parseRoute();
    const previous = state.route;
    state.route = next;
    for (const link of document.querySelectorAll("nav a")) {
      const current = link.dataset.view === next.view || (next.view === "trace" && link.dataset.view === "traces");
      link.classList.toggle("current", current);
    }
    if (previous && previous.view === "trace" && next.view === "trace" && previous.traceId === next.traceId) {
      if (state.select) state.select(next.entityId);
      return;
    }
    const builders = { traces: tracesView, trace: traceView, map: mapView, invalid: rejectedView };
    state.select = null;
    state.refresh = builders[next.view](next);
    state.refresh();
  }

  function showStats(stats) {
    const box = document.getElementById("stats");
    const parts = [
      plural(stats.traces, "trace") + " held (at most " + stats.max_traces + ")",
      plural(stats.received, "datagram") + " received",
    ];
    if (stats.evicted_traces) parts.push(plural(stats.evicted_traces, "trace") + " evicted (oldest first)");
    if (stats.dropped_documents) parts.push(stats.dropped_documents + " documents over the per-trace bound dropped");
    parts.push(source.live ? "live" : "snapshot of " + formatTime(stats.generated_at));
    box.replaceChildren(...parts.map((part, n) => el("span", n === 2 && stats.evicted_traces ? "evicted" : "", part)));
    document.getElementById("rejected-count").textContent = stats.rejected ? String(stats.rejected) : "";
  }

  // ---- Trace list ----

  function tracesView() {
    const name = el("input", "filter-name");
    name.type = "search";
    name.placeholder = "name contains";
    name.value = state.filters.name;
    const status = el("select", "filter-status");
    for (const option of ["all", "ok", "error", "fault", "throttle"]) {
      const item = el("option", null, option === "all" ? "any status" : option);
      item.value = option;
      status.append(item);
    }
    status.value = state.filters.status;
    const expression = el("input", "filter-expression");
    expression.type = "search";
    expression.placeholder = 'filter expression, e.g. annotation.customer = "alice" AND http.status >= 500';
    expression.value = state.filters.expression;
    const problem = el("span", "filter-problem");
    const shown = el("span", "shown");
    const body = el("tbody");
    const header = el("tr", null,
      ...["Start", "Name", "Duration", "Method", "URL", "Status", "Flags", "Entities", "Trace id"].map((h) => el("th", null, h)));
    const table = el("table", "traces", el("thead", null, header), body);
    view.replaceChildren(el("div", "filters", name, status, expression, shown), problem, table);

    let traces = [];
    function draw() {
      let predicate = () => true;
      problem.textContent = "";
      try {
        predicate = parseFilter(state.filters.expression);
      } catch (error) {
        problem.textContent = "filter: " + error.message;
      }
      const needle = state.filters.name.toLowerCase();
      const wanted = state.filters.status;
      const rows = traces.filter((t) =>
        (!needle || t.names.some((n) => n.toLowerCase().includes(needle))) &&
        (wanted === "all" || (wanted === "ok" ? health(t) === "ok" : t[wanted])) &&
        predicate(t));
      shown.textContent = rows.length + " of " + traces.length + " traces";
      body.replaceChildren(...rows.map(traceRow));
    }
    for (const [input, key] of [[name, "name"], [status, "status"], [expression, "expression"]]) {
      input.addEventListener(input.tagName === "SELECT" ? "change" : "input", () => {
        state.filters[key] = input.value;
        draw();
      });
    }
    return () =>
      source.traces().then((data) => {
        showStats(data.stats);
        traces = data.traces;
        draw();
      });
  }

  function traceRow(t) {
    const row = el("tr", "trace " + health(t),
      el("td", "time", formatTime(t.start)),
      el("td", "name", t.name),
      el("td", "number", formatMs(t.duration_ms)),
      el("td", null, text(t.method)),
      el("td", "url", text(t.url)),
      el("td", "number", text(t.status)),
      el("td", null, flagBadges(t)),
      el("td", "number", String(t.entities)),
      el("td", "trace-id", t.trace_id));
    row.dataset.traceId = t.trace_id;
    opensOnActivate(row, traceHash(t.trace_id));
    return row;
  }

  // ---- One trace: waterfall and entity fields ----

  function traceView(current) {
    const title = el("div", "trace-title");
    const chart = el("div", "waterfall");
    const panel = el("aside", "details");
    view.replaceChildren(
      el("a", "back", "← all traces"), title, el("div", "trace-body", chart, panel));
    view.firstChild.href = "#/traces";
    let shownVersion = null;
    let rows = [];

    function select(entityId) {
      for (const node of chart.querySelectorAll(".wf-row")) {
        node.classList.toggle("selected", node.dataset.entityId === entityId);
      }
      const row = rows.find((r) => r.id === entityId);
      panel.replaceChildren(...(row ? entityDetails(row) : [el("p", "hint", "Select a row to see its fields.")]));
      panel.classList.toggle("open", Boolean(row));
    }
    state.select = select;

    return () =>
      source.trace(current.traceId).then((trace) => {
        if (!trace) {
          title.replaceChildren(el("h1", null, "Trace " + current.traceId + " is not held"),
            el("p", "hint", "It was evicted, or never arrived."));
          chart.replaceChildren();
          return;
        }
        if (trace.version !== undefined && trace.version === shownVersion) return;
        shownVersion = trace.version;
        rows = trace.rows;
        title.replaceChildren(
          el("h1", null, rows.length ? rows[0].name : "?"),
          el("div", "facts",
            el("span", null, "trace " + trace.trace_id),
            el("span", null, formatTime(trace.start)),
            el("span", null, formatMs(trace.duration_ms)),
            el("span", null, plural(trace.entities, "entity").replace(/ys$/, "ies"))));
        chart.replaceChildren(...waterfallRows(trace));
        select(state.route.entityId);
      });
  }

  function waterfallRows(trace) {
    const total = typeof trace.duration_ms === "number" ? trace.duration_ms : 0;
    const axis = el("div", "wf-row wf-axis", el("div", "wf-name", "Name"), el("div", "wf-track"), el("div", "wf-duration", "Duration"));
    for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
      const tick = el("span", "tick", formatMs(total * fraction) || "0 ms");
      tick.style.left = fraction * 100 + "%";
      axis.children[1].append(tick);
    }
    const out = [axis];
    for (const row of trace.rows) {
      const name = el("div", "wf-name",
        el("span", "kind " + row.kind, row.kind === "segment" ? "■" : "└"),
        el("span", "label", row.name),
        row.kind === "independent" ? el("span", "tag", "independent") : null,
        row.orphan ? el("span", "tag orphan", row.orphan) : null,
        row.copies > 1 ? el("span", "tag", "×" + row.copies) : null);
      name.style.paddingLeft = 8 + row.depth * 16 + "px";
      const bar = el("div", "wf-bar " + health(row) + (row.in_progress ? " in-progress" : ""));
      const offset = typeof row.offset_ms === "number" ? row.offset_ms : 0;
      const length = typeof row.duration_ms === "number" ? row.duration_ms : Math.max(total - offset, 0);
      bar.style.left = (total ? (offset / total) * 100 : 0) + "%";
      bar.style.width = (total ? (length / total) * 100 : 100) + "%";
      bar.title = row.name;
      const track = el("div", "wf-track", bar);
      const duration = el("div", "wf-duration",
        row.in_progress ? "in progress" : formatMs(row.duration_ms),
        row.status !== null ? el("span", "status", " " + text(row.status)) : null);
      const line = el("div", "wf-row " + row.kind, name, track, duration);
      line.dataset.entityId = row.id === null ? "" : row.id;
      line.dataset.kind = row.kind;
      opensOnActivate(line, traceHash(trace.trace_id, row.id));
      out.push(line);
    }
    return out;
  }

  function entityDetails(row) {
    const fields = row.fields || {};
    const out = [el("h2", null, row.name), el("p", "kind-line", row.kind + (row.in_progress ? ", in progress" : ""), " · ", formatMs(row.duration_ms))];
    const overview = {};
    for (const key of OVERVIEW_FIELDS) if (key in fields) overview[key] = fields[key];
    out.push(section("Overview", keyValues(overview, 0)));
    for (const key of ENTITY_SECTIONS) {
      if (!Object.prototype.hasOwnProperty.call(fields, key)) continue;
      out.push(section(key, key === "cause" ? causeBlock(fields.cause) : keyValues(fields[key], 0)));
    }
    const rest = {};
    for (const [key, value] of Object.entries(fields)) {
      if (!OVERVIEW_FIELDS.includes(key) && !ENTITY_SECTIONS.includes(key)) rest[key] = value;
    }
    if (Object.keys(rest).length) out.push(section("other fields", keyValues(rest, 0)));
    out.push(documentJson(fields));
    return out;
  }

  function section(title, body) {
    const box = el("section", "field-section", el("h3", null, title), body);
    box.dataset.section = title;
    return box;
  }

  function keyValues(value, depth) {
    if (value === null || typeof value !== "object") return el("span", "value", text(value));
    const entries = Array.isArray(value) ? value.map((v, n) => [String(n), v]) : Object.entries(value);
    if (depth > 4) return el("span", "value", JSON.stringify(value));
    const table = el("table", "kv");
    for (const [key, item] of entries) {
      const cell = item !== null && typeof item === "object" ? keyValues(item, depth + 1) : el("span", "value " + typeof item, text(item));
      table.append(el("tr", null, el("th", null, key), el("td", null, cell)));
    }
    return table;
  }

  function causeBlock(cause) {
    if (cause === null || typeof cause !== "object") {
      return el("p", "value", "exception " + text(cause) + " (recorded on another entity)");
    }
    const box = el("div", "cause");
    if (cause.working_directory) box.append(el("p", "value", "working directory: " + text(cause.working_directory)));
    const exceptions = Array.isArray(cause.exceptions) ? cause.exceptions : [];
    for (const exception of exceptions) {
      if (exception === null || typeof exception !== "object") continue;
      const head = el("div", "exception-head",
        el("span", "exception-type", text(exception.type || "exception")), ": ",
        el("span", "exception-message", text(exception.message)));
      const facts = [];
      if (exception.id) facts.push("id " + text(exception.id));
      if (exception.remote) facts.push("remote");
      if (exception.cause) facts.push("caused by " + text(exception.cause));
      if (exception.truncated) facts.push(text(exception.truncated) + " frames truncated");
      const stack = el("table", "stack");
      for (const frame of Array.isArray(exception.stack) ? exception.stack : []) {
        if (frame === null || typeof frame !== "object") continue;
        stack.append(el("tr", null,
          el("td", "frame-label", text(frame.label)),
          el("td", "frame-path", text(frame.path) + (frame.line !== undefined ? ":" + text(frame.line) : ""))));
      }
      box.append(el("div", "exception", head, facts.length ? el("p", "hint", facts.join(" · ")) : null, stack));
    }
    if (cause.paths) box.append(keyValues({ paths: cause.paths }, 1));
    return box;
  }

  // ---- Service map ----

  function mapView() {
    const drawing = el("div", "map");
    const edgesTable = el("div", "edges");
    view.replaceChildren(el("h1", null, "Service map"), drawing, el("h2", null, "Calls"), edgesTable);
    return () =>
      Promise.all([source.map(), source.status()]).then(([graph, stats]) => {
        if (stats) showStats(stats);
        drawing.replaceChildren(drawMap(graph));
        edgesTable.replaceChildren(edgeTable(graph));
      });
  }

  function drawMap(graph) {
    const layers = new Map();
    for (const node of graph.nodes) {
      if (!layers.has(node.layer)) layers.set(node.layer, []);
      layers.get(node.layer).push(node);
    }
    const place = new Map();
    const columns = [...layers.keys()].sort((a, b) => a - b);
    let tallest = 1;
    columns.forEach((layer, column) => {
      const nodes = layers.get(layer);
      tallest = Math.max(tallest, nodes.length);
      nodes.forEach((node, row) => place.set(node.id, { x: 110 + column * 280, y: 130 + row * 190, node }));
    });
    const width = 220 + Math.max(columns.length - 1, 0) * 280;
    const height = 80 + tallest * 190;
    const root = svg("svg", { viewBox: "0 0 " + width + " " + height, width, height, class: "map-svg" });
    const defs = svg("defs", {},
      svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" },
        svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" })));
    root.append(defs);
    const radius = 34;
    for (const edge of graph.edges) {
      const from = place.get(edge.source), to = place.get(edge.target);
      if (!from || !to) continue;
      let path, labelX, labelY;
      if (from === to) {
        path = "M " + (from.x - 14) + " " + (from.y - radius + 2) + " C " + (from.x - 50) + " " + (from.y - 100) + " " +
          (from.x + 50) + " " + (from.y - 100) + " " + (from.x + 14) + " " + (from.y - radius + 2);
        labelX = from.x;
        labelY = from.y - 84;
      } else {
        const dx = to.x - from.x, dy = to.y - from.y;
        const length = Math.hypot(dx, dy) || 1;
        const ux = dx / length, uy = dy / length;
        path = "M " + (from.x + ux * radius) + " " + (from.y + uy * radius) + " L " + (to.x - ux * (radius + 2)) + " " + (to.y - uy * (radius + 2));
        labelX = (from.x + to.x) / 2;
        labelY = (from.y + to.y) / 2 - 8;
      }
      const group = svg("g", { class: "edge " + tallyHealth(edge), "data-source": edge.source, "data-target": edge.target },
        svg("path", { d: path, "marker-end": "url(#arrow)" }),
        svg("text", { x: labelX, y: labelY, "text-anchor": "middle", class: "edge-label" }, edgeLabel(edge)));
      root.append(group);
    }
    for (const { x, y, node } of place.values()) {
      const group = svg("g", { class: "node " + tallyHealth(node) + " " + node.type, "data-node-id": node.id },
        svg("circle", { cx: x, cy: y, r: radius }),
        svg("text", { x, y: y + 5, "text-anchor": "middle", class: "node-count" }, node.type === "client" ? "⚇" : String(node.count)),
        svg("text", { x, y: y + radius + 18, "text-anchor": "middle", class: "node-name" }, node.name),
        svg("text", { x, y: y + radius + 34, "text-anchor": "middle", class: "node-facts" }, nodeFacts(node)),
        svg("text", { x, y: y + radius + 50, "text-anchor": "middle", class: "node-ratios" }, ratios(node).join(" · ")));
      if (node.type !== "service" && node.type !== "client") {
        group.append(svg("text", { x, y: y - radius - 8, "text-anchor": "middle", class: "node-type" }, node.type));
      }
      root.append(group);
    }
    return root;
  }

  function ratios(item) {
    const parts = [];
    if (item.errors) parts.push(percent(item.errors, item.count) + " errors");
    if (item.faults) parts.push(percent(item.faults, item.count) + " faults");
    if (item.throttles) parts.push(percent(item.throttles, item.count) + " throttled");
    return parts;
  }

  function edgeLabel(edge) {
    return [edge.count + (edge.count === 1 ? " call" : " calls"), ...ratios(edge)].join(" · ");
  }

  function nodeFacts(node) {
    if (node.type === "client") return "";
    const noun = node.type === "remote" || node.type === "aws" ? " calls" : " requests";
    return [node.count + noun, node.average_ms !== null ? "avg " + formatMs(node.average_ms) : null]
      .filter(Boolean).join(" · ");
  }

  function edgeTable(graph) {
    const names = new Map(graph.nodes.map((n) => [n.id, n.name + (n.type === "service" ? "" : " (" + n.type + ")")]));
    const table = el("table", "edge-table",
      el("thead", null, el("tr", null, ...["Caller", "Callee", "Calls", "Errors", "Faults", "Throttles", "Average"].map((h) => el("th", null, h)))));
    const body = el("tbody");
    for (const edge of graph.edges) {
      const row = el("tr", null,
        el("td", "caller", names.get(edge.source)),
        el("td", "callee", names.get(edge.target)),
        el("td", "number", String(edge.count)),
        el("td", "number", edge.errors + " (" + percent(edge.errors, edge.count) + ")"),
        el("td", "number", edge.faults + " (" + percent(edge.faults, edge.count) + ")"),
        el("td", "number", edge.throttles + " (" + percent(edge.throttles, edge.count) + ")"),
        el("td", "number", formatMs(edge.average_ms)));
      row.dataset.source = edge.source;
      row.dataset.target = edge.target;
      body.append(row);
    }
    table.append(body);
    return table;
  }

  // ---- Rejected datagrams ----

  function rejectedView() {
    const list = el("div", "rejected-list");
    const note = el("p", "hint");
    view.replaceChildren(el("h1", null, "Datagrams X-Ray would reject"), note, list);
    return () =>
      source.rejected().then((data) => {
        showStats(data.stats);
        const held = data.rejected.length;
        note.textContent = held
          ? held + " shown, latest first" + (data.stats.rejected_dropped ? "; " + data.stats.rejected_dropped + " older ones no longer held" : "")
          : "None received.";
        list.replaceChildren(...data.rejected.map((item) => {
          const card = el("article", "rejected",
            el("div", "facts",
              el("span", "label", item.label),
              item.document !== null ? el("span", null, item.size + " bytes") : null,
              el("span", null, formatTime(item.received_at))),
            el("ul", "reasons", ...item.reasons.map((reason) => el("li", null, reason))),
            item.document !== null ? documentJson(item.document) : null);
          card.dataset.seq = String(item.seq);
          return card;
        }));
      });
  }

  // ---- Start ----

  function poll() {
    source.status().then((stats) => {
      document.body.classList.remove("offline");
      if (stats.version !== state.version) {
        state.version = stats.version;
        showStats(stats);
        if (state.refresh) state.refresh();
      }
    }).catch(() => {
      document.body.classList.add("offline");
      document.getElementById("stats").textContent = "the listener is not answering (stopped?)";
    });
  }

  window.addEventListener("hashchange", route);
  route();
  source.status().then((stats) => {
    state.version = stats.version;
    showStats(stats);
  });
  if (source.live) setInterval(poll, POLL_MS);
})();
