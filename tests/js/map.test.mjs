// Unit tests of the pure functions of the map runtime geo/publish/static/map.js, with Node's
// own test runner: `node --test tests/js/` (tests/test_js.py runs it from pytest). map.js is a
// browser script; run with a `module` object it also hands its pure functions to Node, and
// touches neither `document` nor Leaflet while loading.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import vm from "node:vm";

const SOURCE = fileURLToPath(new URL("../../geo/publish/static/map.js", import.meta.url));

function load() {
  const module = { exports: {} };
  vm.compileFunction(readFileSync(SOURCE, "utf8"), ["module"], { filename: SOURCE })(module);
  return module.exports;
}
const geo = load();
const NBSP = "\u00a0";

// the shape of maps._legend_labels(): label, colour, shape / style per code
const LABELS = {
  statuts: {
    TH: ["Territoire habilité (TH)", "#D55E00", "square"],
    PE: ["Projet émergent (PE)", "#0072B2", "triangle"],
  },
  other: ["autre statut", "#666666", "diamond"],
  precisions: { communes: ["zone d'action connue par communes", "filled"] },
  ptceColor: "#6A3D9A",
  relations: {
    overlap: ["chevauchement", "#000000", 3.5, null],
    adjacent: ["communes voisines", "#B35C00", 3.0, "8 5"],
    near: ["à proximité", "#555555", 2.0, "2 6"],
  },
};
const DATA = { labels: LABELS };

test("the runtime loads in Node without a browser and keeps its browser API", () => {
  assert.deepEqual(Object.keys(geo.api).sort(), ["close", "joinControl", "norm", "open", "start"]);
  assert.equal(geo.api.norm, geo.norm);
});

test("joinControl: a user's layer control gets the overlays of this map's datasets only", () => {
  const added = [];
  const control = { addOverlay: (layer, label) => added.push([label, layer]) };
  const map = {};
  const other = {};
  map._geoApp = {
    datasets: [
      { map: map, overlays: { "PTCE (siège)": "p", "Liens de synergie": "l" } },
      { map: other, overlays: { "Autre carte": "x" } },
      { map: map },
    ],
  };
  geo.api.joinControl(map, control);
  assert.deepEqual(added, [["PTCE (siège)", "p"], ["Liens de synergie", "l"]]);
  geo.api.joinControl({}, control);  // a map with no synergy data: nothing added
  assert.equal(added.length, 2);
});

test("km: one decimal, French comma, non-breaking space before the unit", () => {
  assert.equal(geo.km(12.345), "12,3" + NBSP + "km");
  assert.equal(geo.km(0.04), "0,0" + NBSP + "km");
  assert.equal(geo.km(1.25), "1,3" + NBSP + "km");
  assert.equal(geo.km(20), "20,0" + NBSP + "km");
  assert.equal(geo.km(1234.56), "1234,6" + NBSP + "km");
});

test("km: nothing for what is not a finite number", () => {
  for (const value of [null, undefined, NaN, Infinity, -Infinity, "3", "", [], {}]) {
    assert.equal(geo.km(value), "", String(value));
  }
});

test("norm: accents, ligatures, case and punctuation fold away", () => {
  assert.equal(geo.norm("Saint-Étienne"), "saint etienne");
  assert.equal(geo.norm("  L'Île-d'Yeu  "), "l ile d yeu");
  assert.equal(geo.norm("Cœur de Lœr ŒUVRE"), "coeur de loer oeuvre");
  assert.equal(geo.norm("Lætitia ÆTNA"), "laetitia aetna");
  assert.equal(geo.norm("Pôle n°3 — Zéro chômeur!"), "pole n 3 zero chomeur");
  assert.equal(geo.norm(75013), "75013");
  assert.equal(geo.norm("<img src=x onerror=alert(1)>"), "img src x onerror alert 1");
});

test("safeHref: only plain http(s) addresses are links", () => {
  assert.equal(geo.safeHref("https://example.org/a?b=1#c"), "https://example.org/a?b=1#c");
  assert.equal(geo.safeHref("HTTP://EXAMPLE.ORG"), "HTTP://EXAMPLE.ORG");
  for (const bad of ["javascript:alert(1)", "data:text/html,x", "//example.org",
    "https://example.org/a b", 'https://x.org/"onmouseover=', "https://x.org/<b>",
    "https://x.org/`", "https://x.org\\evil", "ftp://x.org", "", null, 42]) {
    assert.equal(geo.safeHref(bad), null, String(bad));
  }
});

test("records: columnar table to objects with their row index", () => {
  const rows = geo.records({ cols: ["id", "nom"], rows: [["t1", "A"], ["t2", null]] });
  assert.deepEqual(rows, [{ index: 0, id: "t1", nom: "A" }, { index: 1, id: "t2", nom: null }]);
});

test("statutInfo and relation styles read the labels, unknown codes fall back", () => {
  assert.deepEqual(geo.statutInfo(DATA, "TH"),
    { label: "Territoire habilité (TH)", color: "#D55E00", shape: "square", known: true });
  assert.deepEqual(geo.statutInfo(DATA, "??"),
    { label: "autre statut", color: "#666666", shape: "diamond", known: false });
  assert.equal(geo.relationLabel(DATA, "adjacent"), "communes voisines");
  assert.equal(geo.relationLabel(DATA, "unknown"), "unknown");
  assert.deepEqual(geo.relationStyle(DATA, "adjacent", false),
    { color: "#B35C00", weight: 3, opacity: 0.9, className: "geo-link", dashArray: "8 5" });
  assert.deepEqual(geo.relationStyle(DATA, "overlap", true),  // approximate: thinner, not paler
    { color: "#000000", weight: 1.9, opacity: 0.9, className: "geo-link" });
  assert.equal(geo.relationStyle(DATA, "unknown", false).color, "#555555");
});

test("linkText: relation, distances, shared communes, share, approximation", () => {
  const near = { relation: "near", distance: 12.34, seat: 15, shared: 0, share: null,
    approx: false };
  assert.equal(geo.linkText(DATA, near),
    "à proximité, à 12,3" + NBSP + "km, siège à 15,0" + NBSP + "km");
  const overlap = { relation: "overlap", distance: 0, seat: null, shared: 3, share: 42.6,
    approx: true };
  assert.equal(geo.linkText(DATA, overlap),
    "chevauchement, 3 communes en commun, 43" + NBSP + "% du territoire (approximatif)");
  const one = { relation: "adjacent", distance: null, seat: null, shared: 1, share: 0,
    approx: false };
  assert.equal(geo.linkText(DATA, one), "communes voisines, 1 commune en commun");
});

test("bestRelation: overlap before adjacent before near, none without links", () => {
  assert.equal(geo.bestRelation([]), "none");
  assert.equal(geo.bestRelation([{ relation: "near" }, { relation: "adjacent" }]), "adjacent");
  assert.equal(geo.bestRelation([{ relation: "near" }, { relation: "overlap" }]), "overlap");
  assert.equal(geo.bestRelation([{ relation: "toString" }]), "near");
});

test("nearest: overlap counts as 0 km, unknown distances come last", () => {
  const a = { relation: "near", distance: 8 };
  const b = { relation: "adjacent", distance: 3 };
  const c = { relation: "overlap", distance: 5 };
  const d = { relation: "near", distance: null };
  assert.equal(geo.nearest([]), null);
  assert.deepEqual(geo.nearest([a, b]), { link: b, d: 3 });
  assert.deepEqual(geo.nearest([a, c, b]), { link: c, d: 0 });
  assert.deepEqual(geo.nearest([d, a]), { link: a, d: 8 });
  assert.deepEqual(geo.nearest([d]), { link: d, d: null });
});

test("depText: name and code, code alone, nothing", () => {
  assert.equal(geo.depText({ departement: "2A", departement_nom: "Corse-du-Sud" }),
    "Corse-du-Sud (2A)");
  assert.equal(geo.depText({ departement: "976" }), "976");
  assert.equal(geo.depText({}), "");
  // a territory over several départements: names and codes, never a raw "22;56"
  assert.equal(geo.depText({ departement: "22;56", departement_nom: "Côtes-d'Armor, Morbihan" }),
    "Côtes-d'Armor, Morbihan (22, 56)");
  assert.equal(geo.depText({ departement: "22;56" }), "22, 56");
});

function filterState(filter) {
  return { data: DATA, filter: Object.assign(
    { types: {}, region: "", dep: "", relation: "", theme: "", support: false }, filter) };
}
const T_TH = { kind: "t", statut: "TH", region: "11", departement: "78", relation: "near" };
const T_ODD = { kind: "t", statut: "??", region: "84", departement: "69", relation: "none" };
const P_ONE = { kind: "p", region: "11", departement: "93", relation: "overlap",
  thematiques: ["alimentation", "mobilité"], soutien_etat: true };
const P_TWO = { kind: "p", region: "84", departement: "69", relation: "near",
  thematiques: [], soutien_etat: false };
const ITEMS = [T_TH, T_ODD, P_ONE, P_TWO];
const kept = (filter) => ITEMS.filter((it) => geo.passes(filterState(filter), it));

test("passes: no filter keeps everything", () => {
  assert.deepEqual(kept({ types: { TH: true, X: true, P: true } }), ITEMS);
});

test("passes: each filter alone", () => {
  assert.deepEqual(kept({ types: { TH: false } }), [T_ODD, P_ONE, P_TWO]);
  assert.deepEqual(kept({ types: { X: false } }), [T_TH, P_ONE, P_TWO]);
  assert.deepEqual(kept({ types: { P: false } }), [T_TH, T_ODD]);
  assert.deepEqual(kept({ region: "11" }), [T_TH, P_ONE]);
  assert.deepEqual(kept({ dep: "69" }), [T_ODD, P_TWO]);
  assert.deepEqual(kept({ relation: "near" }), [T_TH, P_TWO]);
  assert.deepEqual(kept({ theme: "mobilité" }), [T_TH, T_ODD, P_ONE]);
  assert.deepEqual(kept({ support: true }), [T_TH, T_ODD, P_ONE]);
});

test("passes: filters combine", () => {
  assert.deepEqual(kept({ region: "84", types: { P: false } }), [T_ODD]);
  assert.deepEqual(kept({ region: "11", relation: "overlap", support: true }), [P_ONE]);
});

const DS = {
  t: [{ id: "t1", nom: "Les Mureaux", statut: "TH", communes: ["Les Mureaux", "Meulan"] },
    { id: "t2", nom: "Villeurbanne Saint-Jean", statut: "", communes: [] }],
  p: [{ id: "p1", nom: "Pôle Sud", region_nom: "Île-de-France", siege_commune: "Saint-Denis" }],
};
DS.t[0].departement = "78"; DS.t[0].departement_nom = "Yvelines";
DS.t[0].region = "11"; DS.t[0].region_nom = "Île-de-France";
DS.p[0].departement = "93"; DS.p[0].region = "11"; DS.p[0].region_nom = "Île-de-France";
DS.items = DS.t.concat(DS.p);

test("searchEntries: names, communes, seats, each département and région once", () => {
  assert.deepEqual(geo.searchEntries(DS), [
    ["Les Mureaux", "territoire TH", "t:t1"],
    ["Villeurbanne Saint-Jean", "territoire", "t:t2"],
    ["Pôle Sud", "PTCE, Île-de-France", "p:p1"],
    ["Les Mureaux", "commune de Les Mureaux", "t:t1"],
    ["Meulan", "commune de Les Mureaux", "t:t1"],
    ["Saint-Denis", "siège de Pôle Sud", "p:p1"],
    ["Yvelines (78)", "département", "d:78"],
    ["Île-de-France", "région", "r:11"],
    ["93", "département", "d:93"],
  ]);
});

test("rank: name starts first, then word starts, then inside; entry order breaks ties", () => {
  const entries = [["Grand Saint-Jean", "a", "1"], ["Jeanménil", "b", "2"],
    ["Saint-Jean-de-Luz", "c", "3"], ["Montjean", "d", "4"], ["Jean Macé", "e", "5"],
    ["Paris", "f", "6"]];
  const keyed = geo.searchIndex(entries);
  assert.equal(keyed[0][0], " grand saint jean");
  const ids = (q, limit) => geo.rank(keyed, geo.norm(q), limit).map((e) => e[2]);
  assert.deepEqual(ids("jean", 12), ["2", "5", "1", "3", "4"]);
  assert.deepEqual(ids("SAINT-jean", 12), ["3", "1"]);
  assert.deepEqual(ids("jean", 2), ["2", "5"]);
  assert.deepEqual(ids("lyon", 12), []);
  assert.deepEqual(ids("Jéan MACÉ", 12), ["5"]);
});
