"""JavaScript and CSS of the synergy maps (private; used by :mod:`geo.maps`).

The runtime never inserts data as HTML except the popup/tooltip/legend
strings that :mod:`geo.maps` built with every value escaped; the search box
writes its results with ``textContent``.
"""

from __future__ import annotations

RUNTIME_JS = r"""
var geoTzptce = (function () {
  "use strict";
  function norm(s) {
    return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/\u0153/g, "oe").replace(/\u0152/g, "oe").replace(/\u00e6/g, "ae")
      .toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }
  function index(map) { return map._geoIndex || (map._geoIndex = {}); }
  function bind(map, group, f, l) {
    var p = f.properties || {};
    if (p.popup) { l.bindPopup(p.popup, {maxWidth: 380, autoPanPadding: [20, 20]}); }
    if (p.tip) { l.bindTooltip(p.tip, {sticky: !l.getLatLng}); }
    if (p.key) { index(map)[p.key] = l; }
    if (p.open) {  // a click opens another feature's popup (communes -> their territory)
      l.on("click", function (ev) {
        var target = index(map)[p.open];
        if (target) { target.openPopup(ev.latlng); }
      });
    }
    l._geoGroup = group;
  }
  function layer(map, data, o) {
    var styles = o.styles, group = null;
    var gj = L.geoJSON(null, {
      style: function (f) { return styles[f.properties.s] || {}; },
      pointToLayer: function (f, latlng) {
        var st = styles[f.properties.s] || {};
        if (o.ringM) { return L.circle(latlng, L.extend({radius: o.ringM}, st)); }
        return L.marker(latlng, {
          icon: L.divIcon({className: st.className || "", iconSize: [14, 14],
                           html: "<span style=\"background:" + st.fillColor + "\"></span>"}),
          title: "", keyboard: true, riseOnHover: true
        });
      },
      onEachFeature: function (f, l) { bind(map, group, f, l); }
    });
    if (o.cluster && !isFinite(map.getMaxZoom())) {
      map.options.maxZoom = 19;  // clustering needs a max zoom; tile layers usually give it
    }
    group = o.cluster ? L.markerClusterGroup(o.cluster) : gj;
    gj.addData(data);
    if (o.cluster) { group.addLayers(gj.getLayers()); }
    return group;
  }
  function open(map, key) {
    var l = index(map)[key];
    if (!l) { return; }
    var group = l._geoGroup;
    if (group && !map.hasLayer(group)) { map.addLayer(group); }
    if (group && group.zoomToShowLayer) {
      group.zoomToShowLayer(l, function () { l.openPopup(); });
    } else if (l.getBounds) {
      map.fitBounds(l.getBounds(), {maxZoom: 12, padding: [30, 30]});
      l.openPopup();
    } else {
      map.setView(l.getLatLng(), Math.max(map.getZoom(), 11));
      l.openPopup();
    }
  }
  function search(map, entries, o) {
    var Search = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create("div", "geo-search leaflet-bar");
        var input = L.DomUtil.create("input", "", box);
        input.type = "search";
        input.placeholder = o.placeholder;
        input.setAttribute("aria-label", o.placeholder);
        var list = L.DomUtil.create("ul", "", box);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        // match names only: the category words ("PTCE", "commune de ...") would make
        // a query such as "ptce" list an arbitrary dozen of entries
        var keyed = entries.map(function (e) { return [" " + norm(e[0]), e]; });
        function pick(e) {
          return function (ev) {
            // the item is removed below: keep the click from reaching the map (closing popups)
            if (ev) { L.DomEvent.stop(ev); }
            list.textContent = "";
            input.value = e[0];
            open(map, e[2]);
          };
        }
        input.addEventListener("input", function () {
          list.textContent = "";
          var q = norm(input.value);
          if (q.length < 2) { return; }
          // names starting with the query first, then a word of the name, then anywhere
          var hits = [];
          for (var i = 0; i < keyed.length; i++) {
            var at = keyed[i][0].indexOf(q);
            if (at === -1) { continue; }
            hits.push([at === 1 ? 0 : keyed[i][0].indexOf(" " + q) !== -1 ? 1 : 2, i]);
          }
          hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
          var n = 0;
          for (var j = 0; j < hits.length && n < 12; j++) {
            var e = keyed[hits[j][1]][1], li = L.DomUtil.create("li", "", list);
            var b = L.DomUtil.create("b", "", li);
            b.textContent = e[0];
            li.appendChild(document.createTextNode(" \u2014 " + e[1]));
            li.tabIndex = 0;
            li.addEventListener("click", pick(e));
            li.addEventListener("keydown", (function (f) {
              return function (ev) { if (ev.key === "Enter") { f(ev); } };
            })(pick(e)));
            n++;
          }
          if (!n) { L.DomUtil.create("li", "geo-none", list).textContent = o.none; }
        });
        return box;
      }
    });
    return new Search({position: "topleft"}).addTo(map);
  }
  function views(map, items) {
    var Views = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create("div", "geo-views leaflet-bar");
        L.DomEvent.disableClickPropagation(box);
        items.forEach(function (it) {
          var b = L.DomUtil.create("button", "", box);
          b.type = "button";
          b.textContent = it[0];
          b.title = it[1];
          b.addEventListener("click", function () { map.fitBounds(it[2]); });
        });
        return box;
      }
    });
    return new Views({position: "topright"}).addTo(map);
  }
  function legend(map, html) {
    var Legend = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create("div", "geo-legend");
        box.innerHTML = html;
        var details = box.querySelector("details");
        var size = map.getSize();
        // small frames (a notebook output is 700 x 420): start folded, off the controls
        if (details && (size.x < 640 || size.y < 500)) { details.open = false; }
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Legend({position: "bottomleft"}).addTo(map);
  }
  return {norm: norm, layer: layer, open: open, search: search, views: views, legend: legend};
})();
"""

CSS = """
html, body { width: 100%; height: 100%; margin: 0; padding: 0; }
.leaflet-container.geo-notiles { background: #dfe8ee; }
.geo-ptce span { display: block; width: 12px; height: 12px; border-radius: 50%;
  border: 1.5px solid #fff; box-shadow: 0 0 0 1px #333; }
.geo-search { background: #fff; padding: 4px; max-width: 70vw; }
.geo-search input { width: 15em; max-width: 60vw; font: 13px sans-serif; padding: 3px; }
.geo-search ul { list-style: none; margin: 0; padding: 0; max-height: 40vh; overflow: auto; }
.geo-search li { padding: 3px 4px; cursor: pointer; font: 12px sans-serif; }
.geo-search li:hover, .geo-search li:focus { background: #eef; }
.geo-views { background: #fff; display: flex; flex-wrap: wrap; max-width: 46vw; }
.geo-views button { border: 0; border-right: 1px solid #ccc; background: #fff; cursor: pointer;
  font: 12px sans-serif; padding: 4px 6px; }
.geo-views button:hover { background: #f0f0f0; }
.geo-legend { background: rgba(255,255,255,.92); padding: 6px 9px; font: 12px/1.35 sans-serif;
  max-height: 55vh; overflow: auto; max-width: 60vw; border-radius: 4px;
  box-shadow: 0 1px 5px rgba(0,0,0,.4); }
.geo-legend summary { font-weight: bold; cursor: pointer; }
.geo-legend h4 { margin: 6px 0 2px; font-size: 12px; }
.geo-legend i { display: inline-block; width: 18px; height: 11px; margin-right: 5px;
  vertical-align: middle; box-sizing: border-box; }
.geo-legend i.dot { width: 11px; border-radius: 50%; border: 1px solid #333; }
.geo-legend svg { margin-right: 3px; vertical-align: middle; }
.geo-legend .geo-note { color: #555; font-size: 11px; }
.geo-popup h4 { margin: 0 0 4px; font-size: 14px; }
.geo-popup p { margin: 2px 0; }
.geo-popup ul { margin: 2px 0; padding-left: 16px; }
@media (max-width: 600px) { .geo-legend { font-size: 11px; max-height: 35vh; } }
"""
