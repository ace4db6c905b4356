/* exported geoTzptce */
/* global module */
var geoTzptce = (function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var SYMBOL_ZOOM = 8;  // territories as symbols below this zoom, perimeters from it
  var LIST_STEP = 300;
  var SYMBOL_MAX = 1000;  // more territories: their perimeters only (on canvas)
  var LINK_ZOOM = 9;
  var LEGEND_SHARE = 0.12;  // an open legend may cover this share of the map at most  // big data: links drawn from this zoom on (the list has them all)
  var uid = 0;

  function norm(s) {
    return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/\u0153/g, "oe").replace(/\u0152/g, "oe").replace(/\u00e6/g, "ae")
      .replace(/\u00c6/g, "ae")
      .toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }
  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function svg(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function km(n) {
    return (typeof n === "number" && isFinite(n)) ? n.toFixed(1).replace(".", ",") + "\u00a0km" : "";
  }
  function escapeHtml(s) {  // Leaflet's attribution control takes HTML: a text goes in escaped
    return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function safeHref(u) {
    return (typeof u === "string" && /^https?:\/\/[^\s"'<>`\\]+$/i.test(u)) ? u : null;
  }
  function records(table) {
    return table.rows.map(function (row, i) {
      var r = {index: i};
      table.cols.forEach(function (c, j) { r[c] = row[j]; });
      return r;
    });
  }
  function index(map) { return map._geoIndex || (map._geoIndex = {}); }

  // ------------------------------------------------------------------ symbols
  function shapeSvg(shape, color, size, hollow) {
    var s = size || 16, h = s / 2;
    var root = svg("svg", {width: s, height: s, viewBox: "0 0 " + s + " " + s,
                           "aria-hidden": "true", focusable: "false"});
    var common = {fill: hollow ? "#ffffff" : color, stroke: hollow ? color : "#ffffff",
                  "stroke-width": hollow ? 3 : 1.5};
    var node;
    if (shape === "square") {
      node = svg("rect", {x: 2, y: 2, width: s - 4, height: s - 4}, root);
    } else if (shape === "triangle") {
      node = svg("polygon", {points: h + ",1 " + (s - 1) + "," + (s - 2) + " 1," + (s - 2)}, root);
    } else if (shape === "diamond") {
      node = svg("polygon", {points: h + ",1 " + (s - 1) + "," + h + " " + h + "," + (s - 1) +
                             " 1," + h}, root);
    } else {
      node = svg("circle", {cx: h, cy: h, r: h - 2}, root);
    }
    Object.keys(common).forEach(function (k) { node.setAttribute(k, String(common[k])); });
    if (!hollow) {
      var halo = node.cloneNode();
      halo.setAttribute("fill", "none");
      halo.setAttribute("stroke", "#222222");
      halo.setAttribute("stroke-width", "0.8");
      root.appendChild(halo);
    }
    return root;
  }
  function lineSvg(style) {
    var root = svg("svg", {width: 26, height: 10, "aria-hidden": "true", focusable: "false"});
    var attrs = {x1: 1, y1: 5, x2: 25, y2: 5, stroke: style.color,
                 "stroke-width": style.weight, "stroke-opacity": style.opacity};
    if (style.dashArray) { attrs["stroke-dasharray"] = style.dashArray; }
    svg("line", attrs, root);
    return root;
  }
  function boxSwatch(fill, border, dashed) {
    var root = svg("svg", {width: 20, height: 12, "aria-hidden": "true", focusable: "false"});
    var attrs = {x: 1, y: 1, width: 18, height: 10, fill: fill, stroke: border,
                 "stroke-width": 2};
    if (dashed) { attrs["stroke-dasharray"] = "4 2"; }
    svg("rect", attrs, root);
    return root;
  }
  var SymbolIcon = null;
  function init() {
    if (SymbolIcon) { return; }
    SymbolIcon = L.DivIcon.extend({
    createIcon: function (old) {
      var div = L.DivIcon.prototype.createIcon.call(this, old);
      if (this.options.label) {  // a named graphic (clusters), not a Tab stop
        div.setAttribute("role", "img");
        div.setAttribute("aria-label", this.options.label);
      }
      return div;
    }
    });
  }

  // ------------------------------------------------------------------ texts
  function statutInfo(data, code) {
    var s = data.labels.statuts[code];
    return s ? {label: s[0], color: s[1], shape: s[2], known: true}
             : {label: data.labels.other[0], color: data.labels.other[1],
                shape: data.labels.other[2], known: false};
  }
  function relationLabel(data, rel) {
    var r = data.labels.relations[rel];
    return r ? r[0] : String(rel);
  }
  function relationStyle(data, rel, approx) {
    var r = data.labels.relations[rel] || data.labels.relations.near;
    // approximate: a thinner line, never a paler one (a pale line falls under 3:1 on land and sea)
    var st = {color: r[1], weight: approx ? Math.max(1.5, Math.round(r[2] * 5.5) / 10) : r[2], opacity: 0.9,
              className: "geo-link"};
    if (r[3]) { st.dashArray = r[3]; }
    return st;
  }
  function linkText(data, l) {
    var bits = [relationLabel(data, l.relation)];
    if (l.distance !== null && l.relation !== "overlap" && km(l.distance)) {
      bits.push("\u00e0 " + km(l.distance));
    }
    if (l.seat !== null && km(l.seat)) { bits.push("si\u00e8ge \u00e0 " + km(l.seat)); }
    if (l.shared > 0) {
      bits.push(l.shared + " commune" + (l.shared > 1 ? "s" : "") + " en commun");
    }
    if (typeof l.share === "number" && l.share > 0) {
      bits.push(Math.round(l.share) + "\u00a0% du territoire");
    }
    if (l.certainty) { return bits.join(", ") + " (" + l.certainty + ")"; }
    return bits.join(", ") + (l.approx ? " (approximatif)" : "");
  }
  function bestRelation(links) {
    var order = {overlap: 0, adjacent: 1, near: 2}, best = null;
    links.forEach(function (l) {
      var rank = Object.prototype.hasOwnProperty.call(order, l.relation) ? order[l.relation] : 3;
      if (best === null || rank < best) { best = rank; }
    });
    return best === null ? "none" : ["overlap", "adjacent", "near", "near"][best];
  }
  function nearest(links) {
    var best = null;
    links.forEach(function (l) {
      var d = l.relation === "overlap" ? 0 : l.distance;
      if (best === null || (typeof d === "number" && (best.d === null || d < best.d))) {
        best = {link: l, d: typeof d === "number" ? d : null};
      }
    });
    return best;
  }

  // ------------------------------------------------------------------ page layout
  function layout(map, data) {
    if (map._geoApp) { return map._geoApp; }
    var n = ++uid;
    var container = map.getContainer();
    var app = el("div", "geo-app" + (data.embed ? " geo-embed" : ""));
    container.parentNode.insertBefore(app, container);
    if (app.parentNode.tagName === "MAIN") { app.parentNode.classList.add("geo-main"); }
    var side = el("div", "geo-side", null, app);
    side.setAttribute("role", "region");
    side.setAttribute("aria-label", "Recherche, filtres et liste");
    var head = el("div", "geo-head", null, side);
    // the first stop of the page (and of a frame): past the whole map, to the end anchor
    var pass = el("a", "geo-skip geo-pass", "Passer la carte", head);
    var h1 = el("h1", "geo-title", data.title, head);
    h1.id = "geo-title-" + n;
    var search = el("div", "geo-search", null, head);
    search.setAttribute("role", "search");
    var label = el("label", "geo-label", "Rechercher un territoire, un PTCE, une commune, " +
                   "un d\u00e9partement ou une r\u00e9gion", search);
    var input = el("input", null, null, search);
    input.type = "search";
    input.id = "geo-q-" + n;
    input.autocomplete = "off";
    input.placeholder = "Rechercher\u2026";
    label.htmlFor = input.id;
    var results = el("ul", "geo-results", null, search);
    results.id = "geo-results-" + n;
    results.setAttribute("aria-label", "R\u00e9sultats de la recherche");
    input.setAttribute("aria-controls", results.id);
    var count = el("p", "geo-sr", null, search);
    count.setAttribute("role", "status");
    var skip = el("a", "geo-skip", "Aller \u00e0 la carte", head);
    var mapWrap = el("div", "geo-mapwrap", null, app);
    mapWrap.id = "geo-mapwrap-" + n;
    skip.href = "#" + mapWrap.id;
    var filters = el("details", "geo-filters", null, side);
    el("summary", null, "Filtres", filters);
    var filterBox = el("div", "geo-filterbox", null, filters);
    var listBox = el("details", "geo-listbox", null, side);
    var listSummary = el("summary", null, "Liste des territoires et PTCE", listBox);
    var list = el("div", "geo-list", null, listBox);
    list.id = "geo-list-" + n;
    var toList = el("a", "geo-skip geo-tolist", "Aller \u00e0 la liste");  // a map control
    toList.href = "#" + list.id;
    toList.addEventListener("click", function () { listBox.open = true; });
    mapWrap.setAttribute("role", "region");
    mapWrap.setAttribute("aria-label", "Carte interactive : " + data.title);
    mapWrap.appendChild(container);
    container.setAttribute("aria-label", "Carte (fl\u00e8ches pour d\u00e9placer, + et \u2212 pour zoomer)");
    var status = el("p", "geo-status", null, mapWrap);
    status.setAttribute("role", "status");
    status.hidden = true;
    var details = el("section", "geo-details", null, mapWrap);
    details.setAttribute("role", "dialog");
    details.setAttribute("aria-modal", "false");
    details.hidden = true;
    details.id = "geo-details-" + n;
    var end = el("p", "geo-end", "Fin de la carte interactive", null);
    end.id = "geo-end-" + n;
    end.tabIndex = 0;  // a Tab stop: from tabindex -1 at a frame's end Chromium wraps to its start
    app.parentNode.insertBefore(end, app.nextSibling);
    pass.href = "#" + end.id;
    pass.addEventListener("click", function (ev) { ev.preventDefault(); end.focus(); });
    var wide = window.matchMedia ? window.matchMedia("(min-width: 800px)").matches : true;
    // in a frame the list is one click away, not hundreds of Tab stops to cross
    filters.open = wide && !data.embed && !framed();
    listBox.open = wide && !data.embed && !framed();
    var listOption = urlOption("liste", ["ouverte", "repliee", "non"]);
    if (listOption) { listBox.open = listOption === "ouverte"; }
    // no list in the frame: the search still leads to every feature, the full page has the list
    if (listOption === "non") { filters.hidden = true; listBox.hidden = true; }
    map._geoApp = {n: n, app: app, side: side, input: input, results: results, count: count,
                   filterBox: filterBox, list: list, listBox: listBox, listSummary: listSummary,
                   mapWrap: mapWrap, status: status, details: details, toList: toList,
                   head: head, datasets: []};
    map.invalidateSize(false);  // the container moved: its size before the first view
    setTimeout(function () { map.invalidateSize(); }, 0);
    return map._geoApp;
  }
  // Embed options of the page's address, for the iframe snippet (documented in the README):
  // ?legende=ouverte|repliee, ?liste=ouverte|repliee|non. Anything else: the default.
  function urlOption(name, allowed) {
    var m = new RegExp("[?&]" + name + "=([^&#]*)").exec(location.search || "");
    var value = m ? m[1].toLowerCase() : "";
    return allowed.indexOf(value) === -1 ? "" : value;
  }
  function framed() {
    try { return window.self !== window.top; } catch { return true; }
  }
  // shapes are not Tab stops: Chromium makes an SVG path with focus listeners (Leaflet's
  // tooltips) focusable; the list, the search and the details are the keyboard path
  function untab(layer) {
    function off() {
      var e = layer.getElement && layer.getElement();
      if (e) { e.setAttribute("tabindex", "-1"); }
    }
    layer.on("add", off);
    off();
    return layer;
  }
  function say(app, text) {
    app.status.hidden = false;
    el("span", null, text, app.status);
  }

  // ------------------------------------------------------------------ details panel
  function dt(dl, label, value) {
    if (value === undefined || value === null || value === "" ||
        (Array.isArray(value) && !value.length)) { return; }
    el("dt", null, label, dl);
    var dd = el("dd", null, null, dl);
    if (value instanceof Node) { dd.appendChild(value); } else { dd.textContent = String(value); }
  }
  function anchor(href, text) {
    var good = safeHref(href);
    if (!good) { return document.createTextNode(String(text || "")); }
    var a = el("a", null, text || good);
    a.href = good;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  function sourceList(sources) {
    if (!sources || !sources.length) { return null; }
    var ul = el("ul", "geo-sources");
    sources.forEach(function (s) { el("li", null, null, ul).appendChild(anchor(s[0], s[1])); });
    return ul;
  }
  function partnerList(ds, item, kind) {
    var links = item.links;
    var ul = el("ul", "geo-partners");
    links.forEach(function (l) {
      var other = kind === "t" ? ds.p[l.pi] : ds.t[l.ti];
      var li = el("li", null, null, ul);
      var b = el("button", "geo-linkbtn", other.nom, li);
      b.type = "button";
      b.addEventListener("click", function () { open(ds.map, (kind === "t" ? "p:" : "t:") + other.id); });
      li.appendChild(document.createTextNode(" \u2014 " + linkText(ds.data, l)));
    });
    return ul;
  }
  function fillDetails(ds, key, body) {
    var kind = key.slice(0, 1), item = kind === "t" ? ds.tById[key.slice(2)] : ds.pById[key.slice(2)];
    var data = ds.data;
    var h = el("h2", "geo-dtitle", item.nom, body);
    h.id = ds.app.details.id + "-title";
    h.tabIndex = -1;
    var dl = el("dl", null, null, null);
    if (kind === "t") {
      var info = statutInfo(data, item.statut);
      el("p", "geo-kind", "Territoire z\u00e9ro ch\u00f4meur", body);
      dt(dl, "Statut", info.known ? info.label : item.statut);
      dt(dl, "Situation", item.statut_detail);
      dt(dl, "D\u00e9partement", depText(item));
      dt(dl, "R\u00e9gion", item.region_nom);
      var communes = item.communes || [];
      var shown = communes.slice(0, 15).join(", ");
      if (communes.length > 15) { shown += " et " + (communes.length - 15) + " autres"; }
      dt(dl, "Communes", shown);
      dt(dl, "Quartiers", item.sous_zone);
      dt(dl, "EPCI", item.epci_nom);
      dt(dl, "Pr\u00e9cision du contour", item.precision_label);
      dt(dl, "P\u00e9rim\u00e8tre", item.precision_note);
      dt(dl, "Population", item.population);
      dt(dl, "EBE", item.ebe);
      dt(dl, "Date d'habilitation", item.date_habilitation);
      dt(dl, "Texte", item.texte_legal);
    } else {
      var prec = data.labels.precisions[item.precision];
      el("p", "geo-kind", "P\u00f4le territorial de coop\u00e9ration \u00e9conomique (PTCE)", body);
      dt(dl, "Porteur", item.porteur);
      dt(dl, "Si\u00e8ge", item.siege_commune);
      dt(dl, "D\u00e9partement", depText(item));
      dt(dl, "R\u00e9gion", item.region_nom);
      dt(dl, "Zone d'action", item.zone_action);
      dt(dl, "Pr\u00e9cision", prec ? prec[0] : item.precision);
      dt(dl, "Th\u00e9matiques", (item.thematiques || []).join(" ; "));
      dt(dl, "Soutien de l'\u00c9tat", item.soutien_etat);
      if (item.site_web) { dt(dl, "Site web", anchor(item.site_web[0], item.site_web[1])); }
    }
    (item.extra || []).forEach(function (pair) { dt(dl, pair[0], pair[1]); });
    body.appendChild(dl);
    el("h3", null, kind === "t" ? "PTCE en synergie" : "Territoires en synergie", body);
    if (item.links.length) { body.appendChild(partnerList(ds, item, kind)); }
    else { el("p", null, "aucun", body); }
    var src = sourceList(item.sources);
    if (src) { el("h3", null, "Sources", body); body.appendChild(src); }
    return h;
  }
  function depText(item) {  // "Côtes-d'Armor, Morbihan (22, 56)", never a raw "22;56"
    if (!item.departement) { return ""; }
    var codes = String(item.departement).split(";").join(", ");
    return item.departement_nom ? item.departement_nom + " (" + codes + ")" : codes;
  }
  function showDetails(ds, key, opener) {
    var app = ds.app, panel = app.details;
    if (panel.hidden) { app.opener = opener || document.activeElement; }
    panel.textContent = "";
    var bar = el("div", "geo-dbar", null, panel);
    var close = el("button", "geo-close", "Fermer", bar);
    close.type = "button";
    close.setAttribute("aria-label", "Fermer les d\u00e9tails");
    close.addEventListener("click", function () { hideDetails(app); });
    var body = el("div", "geo-dbody", null, panel);
    var heading = fillDetails(ds, key, body);
    panel.setAttribute("aria-labelledby", heading.id);
    panel.hidden = false;
    app.current = key;
    permalink(key, ds);
    // opened by the page's own #territoire= link (opener false): focus stays where it is, so
    // that a host page embedding the map neither scrolls to it nor loses the keyboard
    if (opener !== false) { heading.focus({preventScroll: false}); }
  }
  function hideDetails(app) {
    var panel = app.details;
    if (panel.hidden) { return; }
    panel.hidden = true;
    panel.textContent = "";
    app.current = null;
    var back = app.opener;
    app.opener = undefined;
    if (back && back.focus && document.body.contains(back) && back !== document.body) {
      back.focus();
    } else {
      app.mapWrap.querySelector(".leaflet-container").focus();
    }
    try { if (location.hash) { history.replaceState(null, "", location.pathname + location.search); } }
    catch { /* srcdoc frames */ }
  }
  function permalink(key, ds) {
    var item = key.charAt(0) === "t" ? ds.tById[key.slice(2)] : ds.pById[key.slice(2)];
    var hash = "#" + (key.charAt(0) === "t" ? "territoire=" : "ptce=") + encodeURIComponent(item.id);
    try { history.replaceState(null, "", hash); } catch { /* srcdoc frames */ }
  }

  // ------------------------------------------------------------------ opening a feature
  // What covers the map: the open details, the legend, the controls, and (on a phone) the part
  // of the map below the screen. Each is kept clear of by padding the side where it costs less.
  function aside(map) {
    var box = map.getContainer().getBoundingClientRect();
    var pad = {left: 0, right: 0, top: 0, bottom: Math.max(0, box.bottom - window.innerHeight)};
    var covers = map.getContainer().parentNode.querySelectorAll(
      ".geo-details:not([hidden]), .leaflet-control, .geo-tolist");
    Array.prototype.forEach.call(covers, function (node) {
      var r = node.getBoundingClientRect();
      var left = Math.max(r.left, box.left), right = Math.min(r.right, box.right);
      var top = Math.max(r.top, box.top), bottom = Math.min(r.bottom, box.bottom);
      if (right <= left || bottom <= top) { return; }
      var cx = (left + right) / 2 - box.left, cy = (top + bottom) / 2 - box.top;
      var options = [
        cx < box.width / 2 ? ["left", right - box.left, box.width] : ["right", box.right - left, box.width],
        cy < box.height / 2 ? ["top", bottom - box.top, box.height] : ["bottom", box.bottom - top, box.height]
      ];
      var best = options[0][1] / options[0][2] <= options[1][1] / options[1][2] ? options[0] : options[1];
      pad[best[0]] = Math.max(pad[best[0]], best[1] + 6);
    });
    // never less than 60 px of map left in either direction
    var spareX = box.width - 60 - pad.left - pad.right, spareY = box.height - 60 - pad.top - pad.bottom;
    if (spareX < 0) { pad.left = Math.max(0, pad.left + spareX / 2); pad.right = Math.max(0, pad.right + spareX / 2); }
    if (spareY < 0) { pad.top = Math.max(0, pad.top + spareY / 2); pad.bottom = Math.max(0, pad.bottom + spareY / 2); }
    return {paddingTopLeft: [Math.round(pad.left + 10), Math.round(pad.top + 10)],
            paddingBottomRight: [Math.round(pad.right + 10), Math.round(pad.bottom + 10)]};
  }
  // Leaflet drops a view change asked during a zoom animation (it only lets the running one
  // end): a fit asked then waits for zoomend; the last one asked wins.
  function motion(map) {
    if (map._geoMotion) { return map._geoMotion; }
    var m = map._geoMotion = {zooming: false, next: null};
    map.on("zoomanim", function () { m.zooming = true; });
    map.on("zoomend", function () {
      m.zooming = false;
      var next = m.next;
      m.next = null;
      if (next) { next(); }
    });
    return m;
  }
  function fit(map, bounds, options) {
    var m = motion(map);
    var run = function () {
      map.fitBounds(bounds, typeof options === "function" ? options() : options);
    };
    if (m.zooming) { m.next = run; } else { m.next = null; run(); }
  }
  function open(map, key, opener) {
    var ds = map._geoKeys && map._geoKeys[key];
    var l = index(map)[key];
    if (!ds) { return false; }
    showDetails(ds, key, opener);  // first: the fit keeps clear of the panel it measures
    if (!l) { return true; }
    var group = l._geoGroup;
    if (group && !map.hasLayer(group)) { map.addLayer(group); }
    var bounds = l.getBounds ? l.getBounds() : L.latLngBounds([l.getLatLng(), l.getLatLng()]);
    // a point: close enough to leave any cluster (they end at zoom 11)
    var maxZoom = l.getBounds ? 12 : Math.max(map.getZoom(), 12);
    fit(map, bounds, function () { return L.extend({maxZoom: maxZoom}, aside(map)); });
    return true;
  }

  // ------------------------------------------------------------------ tooltips
  function tip(parts) {
    var span = el("span", "geo-tip");
    parts.forEach(function (p, i) {
      if (p === "\n") { el("br", null, null, span); }
      else if (i % 2 === 0) { el("b", null, p, span); }
      else { span.appendChild(document.createTextNode(p)); }
    });
    return span;
  }

  // ------------------------------------------------------------------ layers
  function geometryLayer(geometry, options) {
    return L.GeoJSON.geometryToLayer({type: "Feature", geometry: geometry, properties: {}}, options);
  }
  function draw(map, ds) {
    var data = ds.data, app = ds.app;
    var renderer = data.canvas ? L.canvas({padding: 0.5}) : undefined;
    if (!map.getPane("geo-land")) {
      map.createPane("geo-land").style.zIndex = 150;
      map.createPane("geo-symbols").style.zIndex = 640;
    }
    var groups = ds.groups = {};
    // land from the shipped boundaries, under the tiles: the basemap when tiles fail
    groups.d = L.featureGroup();
    data.d.forEach(function (d) {
      groups.d.addLayer(geometryLayer(d[1], {pane: "geo-land", interactive: false,
        renderer: renderer, color: "#767676", weight: 0.8, fill: true, fillColor: "#f7f5ef",
        fillOpacity: 1, className: "geo-departement"}));
    });
    groups.d.addTo(map);

    groups.t = L.featureGroup();
    groups.s = L.featureGroup();
    ds.t.forEach(function (t) {
      var info = statutInfo(data, t.statut);
      var key = "t:" + t.id;
      var tipFn = function () { return tip([t.nom, " (" + t.statut + ")"]); };
      if (t.geometry) {
        var style = {color: info.color, weight: 2, fillColor: info.color, fillOpacity: 0.3,
                     className: "geo-territory", renderer: renderer};
        if (t.approx) { style.dashArray = "6 4"; style.fillOpacity = 0.15; }
        var layer = untab(geometryLayer(t.geometry, style));
        layer.bindTooltip(tipFn, {sticky: true});
        layer.on("click", function () { open(map, key); });
        layer._geoGroup = groups.t;
        t.layer = layer;
        groups.t.addLayer(layer);
        index(map)[key] = layer;
      }
      if (t.point && ds.t.length <= SYMBOL_MAX) {
        var icon = new SymbolIcon({className: "geo-tsym", iconSize: [16, 16],
          html: shapeSvg(info.shape, info.color, 16, t.approx)});
        var sym = L.marker([t.point[1], t.point[0]], {icon: icon, keyboard: false, pane: "geo-symbols"});
        sym.bindTooltip(tipFn);
        sym.on("click", function () { open(map, key); });
        sym._geoKind = "tsym";
        t.symbol = sym;
        groups.s.addLayer(sym);
      }
    });
    // perimeters always; symbols on top of them when they are too small to see
    groups.t.addTo(map);
    function symbols() {
      var on = map.hasLayer(groups.t) && map.getZoom() < SYMBOL_ZOOM;
      if (on && !map.hasLayer(groups.s)) { map.addLayer(groups.s); }
      if (!on && map.hasLayer(groups.s)) { map.removeLayer(groups.s); }
    }
    map.on("zoomend overlayadd overlayremove", symbols);

    var cluster = data.cluster && typeof L.markerClusterGroup === "function";
    if (data.cluster && !cluster) {
      say(app, "Le regroupement des PTCE n'a pas pu \u00eatre charg\u00e9 : chaque PTCE est " +
          "dessin\u00e9 s\u00e9par\u00e9ment.");
    }
    if (cluster && !isFinite(map.getMaxZoom())) { map.options.maxZoom = 19; }
    groups.p = cluster ? L.markerClusterGroup({
      showCoverageOnHover: false, maxClusterRadius: 40, disableClusteringAtZoom: 11,
      chunkedLoading: true,
      iconCreateFunction: function (c) {
        var n = c.getChildCount();
        c.options.keyboard = false;  // not a Tab stop (read by Leaflet right after this call)
        var inner = el("span", "geo-count", n);
        return new SymbolIcon({className: "marker-cluster geo-cluster", iconSize: [34, 34],
          html: inner,
          label: "Groupe de " + n + " PTCE"});
      }
    }) : L.featureGroup();
    ds.p.forEach(function (p) {
      if (!p.point) { return; }
      var prec = data.labels.precisions[p.precision];
      var hollow = !prec || prec[1] === "hollow";
      var key = "p:" + p.id;
      var icon = new SymbolIcon({className: "geo-ptce", iconSize: [14, 14],
        html: shapeSvg("circle", data.labels.ptceColor, 14, hollow)});
      var marker = L.marker([p.point[1], p.point[0]], {icon: icon, keyboard: false});
      marker.bindTooltip(function () { return tip([p.nom, " (PTCE)"]); });
      marker.on("click", function () { open(map, key); });
      marker._geoGroup = groups.p;
      marker._geoKind = "ptce";
      p.layer = marker;
      index(map)[key] = marker;
    });
    if (cluster) {
      groups.p.addLayers(ds.p.filter(function (p) { return p.layer; }).map(function (p) { return p.layer; }));
    } else {
      ds.p.forEach(function (p) { if (p.layer) { groups.p.addLayer(p.layer); } });
    }
    groups.p.addTo(map);

    groups.l = L.featureGroup();
    ds.links.slice().reverse().forEach(function (l) {
      var t = ds.t[l.ti], p = ds.p[l.pi];
      if (!t.point || !p.point) { return; }
      var line = L.polyline([[p.point[1], p.point[0]], [t.point[1], t.point[0]]],
        L.extend({renderer: renderer}, relationStyle(data, l.relation, l.approx)));
      untab(line);
      line.bindTooltip(function () { return tip([p.nom, " \u2194 ", t.nom, "\n", "", linkText(data, l)]); },
                       {sticky: true});
      l.layer = line;
      groups.l.addLayer(line);
    });
    if (data.canvas) {  // many features: links only once zoomed in
      var linksOn = function () {
        var on = map.getZoom() >= LINK_ZOOM && !ds.linksHidden;
        if (on && !map.hasLayer(groups.l)) { map.addLayer(groups.l); }
        if (!on && map.hasLayer(groups.l)) { map.removeLayer(groups.l); }
      };
      map.on("zoomend", linksOn);
      map.on("overlayremove", function (e) { if (e.layer === groups.l) { ds.linksHidden = true; } });
      map.on("overlayadd", function (e) { if (e.layer === groups.l) { ds.linksHidden = false; } });
      linksOn();
    } else {
      groups.l.addTo(map);
    }

    if (data.ringKm) {
      groups.r = L.featureGroup();
      ds.p.forEach(function (p) {
        if (!p.point) { return; }
        groups.r.addLayer(L.circle([p.point[1], p.point[0]], {radius: data.ringKm * 1000,
          color: "#1f78b4", weight: 1, fill: false, interactive: false, className: "geo-ring",
          renderer: renderer}));
      });
      groups.r.addTo(map);
    }
    if (data.c.length) {
      groups.c = L.featureGroup();
      data.c.forEach(function (c) {
        if (!c[2]) { return; }
        var layer = untab(geometryLayer(c[2], {color: "#222222", weight: 1.2, fill: true,
                                               fillOpacity: 0, className: "geo-commune"}));
        layer.bindTooltip(function () { return tip(["", c[0] + " (" + c[1] + ")"]); }, {sticky: true});
        layer.on("click", function () { if (data.focus) { open(map, data.focus); } });
        groups.c.addLayer(layer);
      });
      groups.c.addTo(map);
    }
    symbols();
  }

  // ------------------------------------------------------------------ filters and list
  function option(select, value, text) {
    var o = el("option", null, text, select);
    o.value = value;
    return o;
  }
  function filterControls(ds) {
    var app = ds.app, data = ds.data, box = app.filterBox, n = app.n + "-" + ds.n;
    var f = ds.filter = {types: {}, region: "", dep: "", relation: "", theme: "", support: false};
    var types = el("fieldset", "geo-types", null, box);
    el("legend", null, "Afficher", types);
    var present = {};
    ds.t.forEach(function (t) { present[statutInfo(data, t.statut).known ? t.statut : "X"] = true; });
    var typeList = [["TH", data.labels.statuts.TH[0]], ["PE", data.labels.statuts.PE[0]],
                    ["X", "Territoires d'un " + data.labels.other[0]], ["P", "PTCE"]];
    typeList.forEach(function (it) {
      if (it[0] !== "P" && !present[it[0]]) { return; }
      if (it[0] === "P" && !ds.p.length) { return; }
      f.types[it[0]] = true;
      var lab = el("label", "geo-check", null, types);
      var cb = el("input", null, null, lab);
      cb.type = "checkbox";
      cb.checked = true;
      lab.appendChild(document.createTextNode(" " + it[1]));
      cb.addEventListener("change", function () { f.types[it[0]] = cb.checked; apply(ds); });
    });
    function select(label, key, values) {
      var wrap = el("div", "geo-field", null, box);
      var lab = el("label", null, label, wrap);
      var s = el("select", null, null, wrap);
      s.id = "geo-f-" + key + "-" + n;
      lab.htmlFor = s.id;
      option(s, "", "Tous");
      values.forEach(function (v) { option(s, v[0], v[1]); });
      s.addEventListener("change", function () { f[key] = s.value; apply(ds); });
      ds.selects = ds.selects || {};
      ds.selects[key] = s;
      return s;
    }
    var regions = {}, deps = {};
    ds.items.forEach(function (it) {
      if (it.region) { regions[it.region] = it.region_nom || it.region; }
      if (it.departement) { deps[it.departement] = depText(it); }
    });
    function sorted(obj) {
      return Object.keys(obj).map(function (k) { return [k, obj[k]]; })
        .sort(function (a, b) { return a[1].localeCompare(b[1], "fr"); });
    }
    select("R\u00e9gion", "region", sorted(regions));
    select("D\u00e9partement", "dep", sorted(deps));
    var rels = [["overlap", relationLabel(data, "overlap")], ["adjacent", relationLabel(data, "adjacent")],
                ["near", relationLabel(data, "near")], ["none", "sans partenaire"]];
    select("Relation", "relation", rels.filter(function (r) {
      return ds.items.some(function (it) { return it.relation === r[0]; });
    }));
    var themes = {};
    ds.p.forEach(function (p) { (p.thematiques || []).forEach(function (t) { themes[t] = t; }); });
    if (Object.keys(themes).length) { select("Th\u00e9matique des PTCE", "theme", sorted(themes)); }
    if (ds.p.some(function (p) { return p.soutien_etat; })) {
      var lab = el("label", "geo-check", null, box);
      var cb = el("input", null, null, lab);
      cb.type = "checkbox";
      lab.appendChild(document.createTextNode(" PTCE soutenus par l'\u00c9tat seulement"));
      cb.addEventListener("change", function () { f.support = cb.checked; apply(ds); });
    }
  }
  function passes(ds, it) {
    var f = ds.filter;
    var type = it.kind === "p" ? "P" : (statutInfo(ds.data, it.statut).known ? it.statut : "X");
    if (f.types[type] === false) { return false; }
    if (f.region && it.region !== f.region) { return false; }
    if (f.dep && it.departement !== f.dep) { return false; }
    if (f.relation && it.relation !== f.relation) { return false; }
    if (it.kind === "p") {
      if (f.theme && (it.thematiques || []).indexOf(f.theme) === -1) { return false; }
      if (f.support && !it.soutien_etat) { return false; }
    }
    return true;
  }
  function toggle(group, layer, on) {
    if (!layer) { return; }
    var has = group.hasLayer(layer);
    if (on && !has) { group.addLayer(layer); }
    if (!on && has) { group.removeLayer(layer); }
  }
  function apply(ds) {
    ds.items.forEach(function (it) { it.visible = passes(ds, it); });
    var g = ds.groups;
    ds.t.forEach(function (t) { toggle(g.t, t.layer, t.visible); toggle(g.s, t.symbol, t.visible); });
    if (g.p.removeLayers) {
      var off = [], on = [];
      ds.p.forEach(function (p) {
        if (!p.layer) { return; }
        var has = g.p.hasLayer(p.layer);
        if (p.visible && !has) { on.push(p.layer); }
        if (!p.visible && has) { off.push(p.layer); }
      });
      if (off.length) { g.p.removeLayers(off); }
      if (on.length) { g.p.addLayers(on); }
    } else {
      ds.p.forEach(function (p) { toggle(g.p, p.layer, p.visible); });
    }
    ds.links.forEach(function (l) { toggle(g.l, l.layer, ds.t[l.ti].visible && ds.p[l.pi].visible); });
    renderList(ds, LIST_STEP);
  }
  function renderList(ds, limit) {
    var app = ds.app, box = ds.listBody;
    var shown = ds.items.filter(function (it) { return it.visible; });
    box.textContent = "";
    shown.slice(0, limit).forEach(function (it) {
      // a card per entry: every fact readable in a narrow sidebar, no horizontal scrolling
      var li = el("li", "geo-card", null, box);
      var b = el("button", "geo-pick", it.nom || it.id, li);
      b.type = "button";
      b.addEventListener("click", function () { open(ds.map, it.key, b); });
      var type = it.kind === "p" ? "PTCE" : (statutInfo(ds.data, it.statut).known ?
        "Territoire " + it.statut : "Territoire (" + it.statut + ")");
      var facts = [type, depText(it), it.relation === "none" ? "sans partenaire" :
        "relation : " + relationLabel(ds.data, it.relation)];
      var near = nearest(it.links);
      if (near) {
        var other = it.kind === "t" ? ds.p[near.link.pi] : ds.t[near.link.ti];
        facts.push("partenaire le plus proche : " + other.nom +
                   (near.d !== null ? " (" + km(near.d) + ")" : ""));
      }
      el("span", "geo-cfacts", facts.filter(function (f) { return f; }).join(" ; "), li);
    });
    var rest = shown.length - limit;
    ds.more.hidden = rest <= 0;
    ds.more.textContent = rest > 0 ? "Afficher les " + Math.min(rest, LIST_STEP) + " suivants (" +
      rest + " restants)" : "";
    ds.more.onclick = function () { renderList(ds, limit + LIST_STEP); };
    ds.caption.textContent = shown.length + " sur " + ds.items.length +
      " territoires et PTCE (liste, alternative textuelle de la carte)";
    app.listSummary.textContent = "Liste des territoires et PTCE (" + shown.length + ")";
  }
  function listTable(ds) {
    ds.caption = el("p", "geo-caption", null, ds.app.list);
    ds.listBody = el("ul", "geo-cards", null, ds.app.list);
    ds.listBody.setAttribute("aria-label", "Territoires et PTCE");
    ds.more = el("button", "geo-more", null, ds.app.list);
    ds.more.type = "button";
  }

  // ------------------------------------------------------------------ search
  function searchEntries(ds) {
    var out = [];
    ds.t.forEach(function (t) { out.push([t.nom, ("territoire " + t.statut).trim(), "t:" + t.id]); });
    ds.p.forEach(function (p) {
      out.push([p.nom, "PTCE" + (p.region_nom ? ", " + p.region_nom : ""), "p:" + p.id]);
    });
    ds.t.forEach(function (t) {
      (t.communes || []).forEach(function (c) { out.push([c, "commune de " + t.nom, "t:" + t.id]); });
    });
    ds.p.forEach(function (p) {
      if (p.siege_commune) { out.push([p.siege_commune, "si\u00e8ge de " + p.nom, "p:" + p.id]); }
    });
    var deps = {}, regs = {};
    ds.items.forEach(function (it) {
      if (it.departement && !deps[it.departement]) {
        deps[it.departement] = 1;
        out.push([depText(it), "d\u00e9partement", "d:" + it.departement]);
      }
      if (it.region && !regs[it.region]) {
        regs[it.region] = 1;
        out.push([it.region_nom || it.region, "r\u00e9gion", "r:" + it.region]);
      }
    });
    return out;
  }
  function searchIndex(entries) {  // [" " + normalised name, entry]: " " marks a word start
    return entries.map(function (e) { return [" " + norm(e[0]), e]; });
  }
  function rank(keyed, q, limit) {  // the entries holding q: name starts, word starts, inside
    var hits = [];
    for (var i = 0; i < keyed.length; i++) {
      var at = keyed[i][0].indexOf(q);
      if (at === -1) { continue; }
      hits.push([at === 1 ? 0 : keyed[i][0].indexOf(" " + q) !== -1 ? 1 : 2, i]);
    }
    hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    return hits.slice(0, limit).map(function (h) { return keyed[h[1]][1]; });
  }
  function pickArea(ds, key) {
    var kind = key.charAt(0), code = key.slice(2);
    var sel = ds.selects && ds.selects[kind === "d" ? "dep" : "region"];
    if (sel) { sel.value = code; }
    ds.filter[kind === "d" ? "dep" : "region"] = code;
    if (kind === "r") { ds.filter.dep = ""; if (ds.selects && ds.selects.dep) { ds.selects.dep.value = ""; } }
    apply(ds);
    var b = L.latLngBounds([]);
    ds.items.forEach(function (it) {
      if (!it.visible) { return; }
      if (it.layer && it.layer.getBounds) { b.extend(it.layer.getBounds()); }
      else if (it.point) { b.extend([it.point[1], it.point[0]]); }
    });
    if (b.isValid()) { fit(ds.map, b, function () { return L.extend({maxZoom: 11}, aside(ds.map)); }); }
    ds.app.listBox.open = true;
    var first = ds.app.list.querySelector(".geo-pick");
    if (first) { first.focus(); }
  }
  function search(ds) {
    var app = ds.app, input = app.input, list = app.results;
    var keyed = searchIndex(searchEntries(ds));
    function pick(e, ev) {
      if (ev) { L.DomEvent.stop(ev); }
      list.textContent = "";
      input.value = e[0];
      if (e[2].charAt(0) === "d" || e[2].charAt(0) === "r") { pickArea(ds, e[2]); }
      else { open(ds.map, e[2], input); }
    }
    function run() {
      list.textContent = "";
      var q = norm(input.value);
      if (q.length < 2) { app.count.textContent = ""; return []; }
      var shown = rank(keyed, q, 12);
      shown.forEach(function (e) {
        var li = el("li", null, null, list);
        var b = el("button", "geo-hit", null, li);
        b.type = "button";
        el("b", null, e[0], b);
        b.appendChild(document.createTextNode(" \u2014 " + e[1]));
        b.addEventListener("click", pick.bind(null, e));
      });
      if (!shown.length) { el("li", "geo-none", "Aucun r\u00e9sultat", list); }
      app.count.textContent = shown.length ? shown.length + " r\u00e9sultat" +
        (shown.length > 1 ? "s" : "") : "Aucun r\u00e9sultat";
      return shown;
    }
    input.addEventListener("input", run);
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") {
        var shown = run();
        if (shown.length) { pick(shown[0], ev); }
      } else if (ev.key === "ArrowDown") {
        var first = list.querySelector("button");
        if (first) { ev.preventDefault(); first.focus(); }
      }
    });
    list.addEventListener("keydown", function (ev) {
      var items = Array.prototype.slice.call(list.querySelectorAll("button"));
      var at = items.indexOf(document.activeElement);
      if (ev.key === "ArrowDown" && at < items.length - 1) { ev.preventDefault(); items[at + 1].focus(); }
      if (ev.key === "ArrowUp") { ev.preventDefault(); (at > 0 ? items[at - 1] : input).focus(); }
    });
  }

  // ------------------------------------------------------------------ map controls
  function controls(map, ds) {
    var data = ds.data, app = ds.app;
    if (!map._geoControls) {
      map._geoControls = true;
      var zoom = L.control.zoom({zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arri\u00e8re"}).addTo(map);
      // for the mouse: the keyboard zooms with + and - on the focused map (its name says so)
      Array.prototype.forEach.call(zoom.getContainer().querySelectorAll("a"), function (a) {
        a.tabIndex = -1;
      });
      fullscreen(map, app);
      L.control.scale({imperial: false}).addTo(map);
      // a control, so that the corner stacks it above the attribution instead of under it
      var ToList = L.Control.extend({onAdd: function () {
        var box = L.DomUtil.create("div", "geo-tolistbox");
        box.appendChild(app.toList);
        return box;
      }});
      if (!app.listBox.hidden) { new ToList({position: "bottomright"}).addTo(map); }
      if (map.attributionControl) {
        map.attributionControl.setPrefix(false);
        if (data.credit) { map.attributionControl.addAttribution(escapeHtml(data.credit)); }
      }
      if (data.tiles) {
        var tiles = L.tileLayer(data.tiles.url, {attribution: data.tiles.attribution,
          subdomains: data.tiles.subdomains, maxZoom: data.tiles.maxZoom});
        tiles.addTo(map);
        ds.tiles = tiles;
      }
      views(map, viewsWithData(ds, data.views));
    }
    var overlays = {};
    overlays["Territoires z\u00e9ro ch\u00f4meur (TZ)"] = ds.groups.t;
    overlays["PTCE (si\u00e8ge)"] = ds.groups.p;
    overlays["Liens de synergie"] = ds.groups.l;
    if (ds.groups.r) { overlays["Rayon de " + km(data.ringKm) + " autour des PTCE"] = ds.groups.r; }
    if (ds.groups.c) { overlays["Communes du territoire"] = ds.groups.c; }
    overlays["D\u00e9partements"] = ds.groups.d;
    var base = {};
    if (ds.tiles) { base[data.tiles.name] = ds.tiles; }
    var lc = L.control.layers(base, overlays, {collapsed: true}).addTo(map);
    ds.overlays = overlays;
    var toggleLink = lc.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggleLink) {
      toggleLink.title = "Couches affich\u00e9es";
      toggleLink.setAttribute("aria-label", "Choisir les couches affich\u00e9es");
      toggleLink.setAttribute("aria-haspopup", "true");
    }
    legend(map, ds);
    if (data.embed) { embed(map, app); }
  }
  function fullscreen(map, app) {
    var target = app.app;
    if (!target.requestFullscreen) { return; }
    var Full = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create("div", "leaflet-bar geo-fullscreen");
        var b = el("button", null, null, box);
        b.type = "button";
        var icon = svg("svg", {width: 18, height: 18, viewBox: "0 0 18 18", "aria-hidden": "true",
                               focusable: "false"}, b);
        svg("path", {d: "M1 6V1h5M12 1h5v5M17 12v5h-5M6 17H1v-5", fill: "none",
                     stroke: "#222", "stroke-width": 2}, icon);
        function label() {
          var on = document.fullscreenElement === target;
          b.title = on ? "Quitter le plein \u00e9cran" : "Plein \u00e9cran";
          b.setAttribute("aria-label", b.title);
          b.setAttribute("aria-pressed", on ? "true" : "false");
        }
        label();
        b.addEventListener("click", function (ev) {
          L.DomEvent.stop(ev);
          if (document.fullscreenElement) { document.exitFullscreen(); }
          else { target.requestFullscreen().catch(function () {}); }
        });
        document.addEventListener("fullscreenchange", function () {
          label();
          setTimeout(function () { map.invalidateSize(); }, 50);
        });
        return box;
      }
    });
    new Full({position: "topleft"}).addTo(map);
  }
  function viewsWithData(ds, items) {  // the one-click views that hold something drawn
    return items.filter(function (it) {
      var b = L.latLngBounds(it[2]);
      return ds.items.some(function (x) {
        var pt = x.point || (x.layer && x.layer.getLatLng && [x.layer.getLatLng().lng, x.layer.getLatLng().lat]);
        return pt && b.contains([pt[1], pt[0]]);
      });
    });
  }
  function views(map, items) {
    if (items.length < 2) { return null; }  // nothing overseas: no buttons
    var Views = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create("div", "geo-views leaflet-bar");
        var menu = el("details", null, null, box);
        el("summary", null, "Vues", menu).title = "M\u00e9tropole et outre-mer";
        var group = el("div", "geo-viewlist", null, menu);
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", "Vues : m\u00e9tropole et outre-mer");
        L.DomEvent.disableClickPropagation(box);
        items.forEach(function (it) {
          var b = el("button", null, it[0], group);
          b.type = "button";
          b.title = it[1];
          b.addEventListener("click", function () { menu.open = false; fit(map, it[2]); });
        });
        return box;
      }
    });
    return new Views({position: "topright"}).addTo(map);
  }
  function legend(map, ds) {
    var data = ds.data, labels = data.labels;
    var Legend = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create("div", "geo-legend");
        var details = el("details", null, null, box);
        details.open = true;
        el("summary", null, data.title, details);
        function row(symbol, text) {
          var p = el("div", "geo-lrow", null, details);
          if (symbol) { p.appendChild(symbol); }
          p.appendChild(document.createTextNode(" " + text));
        }
        function count(drawn, total) { return drawn === total ? String(total) : drawn + " sur " + total + " localis\u00e9s"; }
        var tDrawn = ds.t.filter(function (t) { return t.geometry; });
        el("h2", null, "Territoires z\u00e9ro ch\u00f4meur (" + count(tDrawn.length, ds.t.length) + ")", details);
        var statuts = {};
        tDrawn.forEach(function (t) { statuts[statutInfo(data, t.statut).known ? t.statut : "X"] = true; });
        Object.keys(labels.statuts).concat(["X"]).forEach(function (code) {
          if (!statuts[code]) { return; }
          var info = code === "X" ? statutInfo(data, null) : statutInfo(data, code);
          row(shapeSvg(info.shape, info.color, 14), info.label);
        });
        if (tDrawn.some(function (t) { return t.approx; })) {
          row(boxSwatch("#ffffff", "#555555", true), "contour en tirets, symbole creux : " +
              "contour approximatif (quartiers, EPCI)");
        }
        if (data.leftOut) { row(null, data.leftOut); }
        var pDrawn = ds.p.filter(function (p) { return p.point; });
        el("h2", null, "PTCE (" + count(pDrawn.length, ds.p.length) + ")", details);
        if (!pDrawn.length && data.kind === "territory") {
          row(null, "aucun PTCE \u00e0 moins de " + km(data.radiusKm));
        }
        var kinds = {};
        pDrawn.forEach(function (p) {
          var prec = labels.precisions[p.precision];
          kinds[prec && prec[1] === "filled" ? "filled" : "hollow"] = true;
        });
        if (kinds.filled) {
          row(shapeSvg("circle", labels.ptceColor, 14, false),
              "point plein : si\u00e8ge, zone d'action connue (communes, EPCI ou d\u00e9partement)");
        }
        if (kinds.hollow) {
          row(shapeSvg("circle", labels.ptceColor, 14, true),
              "point creux : si\u00e8ge, zone d'action inconnue");
        }
        if (data.cluster) { row(null, "cercle num\u00e9rot\u00e9 : groupe de PTCE (cliquer pour l'ouvrir ; " +
                                "au clavier, la liste et la recherche m\u00e8nent \u00e0 chacun)"); }
        var lost = (ds.t.length - tDrawn.length) + (ds.p.length - pDrawn.length);
        if (lost) { row(null, lost + " non localis\u00e9s : voir la liste"); }
        el("h2", null, "Liens de synergie (si\u00e8ge \u2013 territoire)", details);
        var rels = {}, approx = false;
        ds.links.forEach(function (l) {
          if (!l.layer) { return; }
          rels[labels.relations[l.relation] ? l.relation : "near"] = true;
          approx = approx || l.approx;
        });
        Object.keys(labels.relations).forEach(function (code) {
          if (rels[code]) { row(lineSvg(relationStyle(data, code, false)), labels.relations[code][0]); }
        });
        if (approx) { row(lineSvg({color: "#555555", weight: 1.5, opacity: 0.9}), "trait fin : approximatif"); }
        if (data.canvas) { row(null, "liens visibles en zoomant (tous dans la liste)"); }
        if (data.linksTotal > ds.links.length) {
          row(null, "les " + data.linksPerTerritory + " liens les plus proches de chaque territoire");
        }
        if (Object.keys(rels).length) {
          row(null, "distance \u2264 " + km(data.radiusKm) + " ; survoler un lien pour la distance");
        } else {
          row(null, "aucun lien (distance \u2264 " + km(data.radiusKm) + ")");
        }
        if (data.ringKm) { row(boxSwatch("none", "#1f78b4"), "rayon de " + km(data.ringKm) + " autour des PTCE"); }
        if (data.c.length) { row(boxSwatch("none", "#222222"), "communes du territoire"); }
        row(boxSwatch("#f7f5ef", "#767676"), "d\u00e9partements (terre) ; en bleu, la mer");
        box._geoDetails = details;
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    var control = new Legend({position: "bottomleft"}).addTo(map);
    // folded where it would cover more than a small share of the map: phones, frames, embeds
    var details = control.getContainer()._geoDetails, size = map.getSize();
    var r = control.getContainer().getBoundingClientRect();
    if (ds.data.embed || framed() || window.innerWidth < 800 ||
        r.width * r.height > LEGEND_SHARE * size.x * size.y) {
      details.open = false;
    }
    var asked = urlOption("legende", ["ouverte", "repliee"]);
    if (asked) { details.open = asked === "ouverte"; }
    return control;
  }
  function embed(map, app) {
    var wrap = app.mapWrap;
    // above the map, not over it: nothing covers the data
    var hint = el("p", "geo-embed-hint", "Cliquez ou touchez la carte pour l'activer ; " +
                  "la molette et le glisser font d\u00e9filer la page jusque-l\u00e0.", app.head);
    var active = false;
    function on() {
      if (active) { return; }
      active = true;
      map.scrollWheelZoom.enable();
      map.dragging.enable();
      hint.hidden = true;
    }
    function off() {
      active = false;
      map.scrollWheelZoom.disable();
      map.dragging.disable();
      hint.hidden = false;
    }
    off();
    map.on("click", on);
    map.getContainer().addEventListener("focus", on);
    wrap.addEventListener("mousedown", function (ev) { if (!ev.target.closest(".leaflet-control")) { on(); } });
    document.addEventListener("mousedown", function (ev) { if (!wrap.contains(ev.target)) { off(); } });
    if (window.self !== window.top && /^https?:|^file:/.test(location.protocol)) {
      var a = el("a", "geo-fulllink", "Ouvrir la carte en plein \u00e9cran", app.side.querySelector(".geo-head"));
      a.href = location.href.split("#")[0];
      a.target = "_blank";
      a.rel = "noopener";
    }
  }

  // ------------------------------------------------------------------ start
  function start(map, dataId) {
    init();
    motion(map);
    // fits that keep clear of the controls lose less than a whole zoom level
    if (map.options.zoomSnap === 1) { map.options.zoomSnap = 0.25; }
    var node = document.getElementById(dataId);
    var data = JSON.parse(node.textContent);
    var app = layout(map, data);
    var ds = {map: map, data: data, app: app, n: app.datasets.length};
    app.datasets.push(ds);
    ds.t = records(data.t).map(function (t) { t.kind = "t"; t.key = "t:" + t.id; t.links = []; return t; });
    ds.p = records(data.p).map(function (p) { p.kind = "p"; p.key = "p:" + p.id; p.links = []; return p; });
    ds.tById = {}; ds.pById = {};
    ds.t.forEach(function (t) { ds.tById[t.id] = t; });
    ds.p.forEach(function (p) { ds.pById[p.id] = p; });
    ds.links = data.l.map(function (r) {
      var l = {ti: r[0], pi: r[1], relation: r[2], distance: r[3], seat: r[4], shared: r[5],
               share: r[6], approx: r[7], certainty: r[8] || ""};
      ds.t[l.ti].links.push(l);
      ds.p[l.pi].links.push(l);
      return l;
    });
    ds.items = ds.t.concat(ds.p);
    ds.items.forEach(function (it) { it.relation = bestRelation(it.links); it.visible = true; });
    ds.items.sort(function (a, b) { return String(a.nom).localeCompare(String(b.nom), "fr"); });
    map._geoKeys = map._geoKeys || {};
    ds.items.forEach(function (it) { map._geoKeys[it.key] = ds; });
    draw(map, ds);
    filterControls(ds);
    listTable(ds);
    search(ds);
    controls(map, ds);
    renderList(ds, LIST_STEP);
    // the interactive list is there: the page's static text alternative of this table goes
    var text = document.querySelector('[data-geo-static="' + dataId + '"]');
    if (text) { text.parentNode.removeChild(text); }
    if (data.bounds) { fit(map, data.bounds, function () { return aside(map); }); }
    if (!map._geoKeys._escape) {
      map._geoKeys._escape = true;
      document.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape" && !app.details.hidden) { ev.preventDefault(); hideDetails(app); }
      });
    }
    var m = /^#(territoire|ptce)=(.*)$/.exec(location.hash || "");
    if (m && !map._geoHashDone) {
      map._geoHashDone = true;
      var id = m[2];
      try { id = decodeURIComponent(id); } catch { /* a broken escape: shown as is */ }
      var key = (m[1] === "territoire" ? "t:" : "p:") + id;
      // after the layout's own size check (queued before): the fit measures the final map
      setTimeout(function () {
        if (!open(map, key, false)) {
          say(app, (m[1] === "territoire" ? "Territoire" : "PTCE") + " introuvable : \u00ab\u00a0" +
              id + "\u00a0\u00bb (lien d'une version plus ancienne de la carte ?). " +
              "Cherchez-le dans la liste ou avec la recherche.");
        }
      }, 0);
    }
    return ds;
  }
  if (typeof L === "undefined" && typeof document !== "undefined") {  // Leaflet did not load: say so, and where the list is
    document.addEventListener("DOMContentLoaded", function () {
      var list = document.querySelector(".geo-static .geo-slist");
      var p = el("p", "geo-fatal", "La carte n'a pas pu \u00eatre charg\u00e9e (biblioth\u00e8que " +
                 "Leaflet indisponible ; v\u00e9rifiez la connexion). ");
      p.setAttribute("role", "alert");
      if (list) {
        p.appendChild(document.createTextNode("Tout ce qu'elle montre est dans la "));
        var a = el("a", null, "liste des territoires et PTCE", p);
        a.href = "#" + list.id;
        p.appendChild(document.createTextNode(" ci-dessous."));
        var title = list.parentNode.querySelector(".geo-title");
        list.parentNode.insertBefore(p, title ? title.nextSibling : list.parentNode.firstChild);
      } else {
        document.body.insertBefore(p, document.body.firstChild);
      }
    });
  }
  // A layer control the user added with folium (geo/publish/foliummap.py) also lists what
  // the synergy maps drew on the same map, under the names of their own control.
  function joinControl(map, control) {
    var app = map._geoApp;
    (app ? app.datasets : []).forEach(function (ds) {
      if (ds.map !== map || !ds.overlays) { return; }
      Object.keys(ds.overlays).forEach(function (label) {
        control.addOverlay(ds.overlays[label], label);
      });
    });
  }
  var api = {norm: norm, start: start, open: open, joinControl: joinControl,
    close: function (map) { hideDetails(map._geoApp); }};
  if (typeof module === "object" && module && module.exports) {  // node --test (tests/js/)
    module.exports = {api: api, norm: norm, km: km, safeHref: safeHref, records: records,
      statutInfo: statutInfo, relationLabel: relationLabel, relationStyle: relationStyle,
      linkText: linkText, bestRelation: bestRelation, nearest: nearest, depText: depText,
      passes: passes, searchEntries: searchEntries, searchIndex: searchIndex, rank: rank};
  }
  return api;
})();
